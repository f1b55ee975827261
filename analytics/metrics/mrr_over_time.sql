WITH subs AS (
    SELECT s.tenant_id, s.start_date, s.end_date, s.monthly_amount
    FROM models_app_subscription AS s
    WHERE s.status <> 'trial'
),
months AS (
    SELECT b.tenant_id,
           (generate_series(date_trunc('month', b.first_day::timestamp),
                            date_trunc('month', b.last_day::timestamp), interval '1 month')
            + interval '1 month' - interval '1 day')::date AS month_end
    FROM (SELECT tenant_id, min(start_date) AS first_day, max(start_date) AS last_day
          FROM subs GROUP BY 1) AS b
)
SELECT m.tenant_id, m.month_end,
       count(s.*) FILTER (WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end))
           AS active_subscriptions,
       coalesce(sum(s.monthly_amount) FILTER (
           WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end)), 0) AS mrr
FROM months AS m
JOIN subs AS s ON s.tenant_id = m.tenant_id
GROUP BY 1, 2
ORDER BY 1, 2;
