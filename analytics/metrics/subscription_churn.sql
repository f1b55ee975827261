WITH subs AS (
    SELECT s.tenant_id, s.start_date, s.end_date, s.status, s.monthly_amount
    FROM models_app_subscription AS s
    WHERE s.status <> 'trial'
),
bounds AS (
    SELECT b.tenant_id, min(b.start_date) AS first_day,
           greatest(max(b.start_date), max(b.end_date)) AS last_day
    FROM subs AS b
    GROUP BY 1
),
months AS (
    SELECT b.tenant_id, g::date AS month
    FROM bounds AS b
    CROSS JOIN generate_series(date_trunc('month', b.first_day::timestamp),
                               date_trunc('month', b.last_day::timestamp), interval '1 month') AS g
),
flags AS (
    SELECT m.tenant_id, m.month, s.monthly_amount,
           (s.start_date < m.month AND (s.end_date IS NULL OR s.end_date >= m.month)) AS active_at_start,
           (s.start_date < m.month AND s.end_date >= m.month AND s.end_date < (m.month + interval '1 month')::date
             AND s.status IN ('cancelled', 'expired')) AS churned,
           (s.start_date >= m.month AND s.start_date < (m.month + interval '1 month')::date) AS started
    FROM months AS m
    JOIN subs AS s ON s.tenant_id = m.tenant_id
)
SELECT f.tenant_id, f.month,
       count(*) FILTER (WHERE f.active_at_start) AS active_at_start,
       count(*) FILTER (WHERE f.started) AS new_subscriptions,
       count(*) FILTER (WHERE f.churned) AS churned,
       round(count(*) FILTER (WHERE f.churned)::numeric
             / NULLIF(count(*) FILTER (WHERE f.active_at_start), 0), 4) AS churn_rate,
       coalesce(sum(f.monthly_amount) FILTER (WHERE f.churned), 0) AS churned_mrr
FROM flags AS f
GROUP BY 1, 2
ORDER BY 1, 2;
