WITH subs AS (
    SELECT s.tenant_id, s.start_date, s.end_date, s.monthly_amount
    FROM models_app_subscription AS s
    WHERE s.status <> 'trial'
),
bounds AS (
    SELECT b.tenant_id, min(b.start_date) AS first_day,
           CAST(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 day' AS date) AS last_complete_day
    FROM subs AS b
    GROUP BY 1
),
months AS (
    SELECT b.tenant_id, CAST(g + interval '1 month' - interval '1 day' AS date) AS month_end
    FROM bounds AS b
    CROSS JOIN generate_series(date_trunc('month', b.first_day::timestamp),
                               date_trunc('month', b.last_complete_day::timestamp), interval '1 month') AS g
)
SELECT m.tenant_id, m.month_end,
       count(*) FILTER (WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end))
           AS active_subscriptions,
       coalesce(sum(s.monthly_amount) FILTER (
           WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end)), 0) AS mrr
FROM months AS m
JOIN subs AS s ON s.tenant_id = m.tenant_id
GROUP BY 1, 2
ORDER BY 1, 2;
