WITH last_orders AS (
    SELECT o.tenant_id, o.customer_id, max(o.order_date) AS last_order_at
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2
),
as_of AS (
    SELECT l.tenant_id, max(l.last_order_at) AS as_of
    FROM last_orders AS l
    GROUP BY 1
),
accounts AS (
    SELECT c.tenant_id, count(*) AS customers, count(*) FILTER (WHERE NOT c.is_active) AS inactive_customers
    FROM models_app_customer AS c
    GROUP BY 1
)
SELECT l.tenant_id,
       (a.as_of AT TIME ZONE 'UTC')::date AS as_of_date,
       90 AS window_days,
       count(*) AS buyers,
       count(*) FILTER (WHERE l.last_order_at > a.as_of - interval '90 days') AS active_buyers,
       count(*) FILTER (WHERE l.last_order_at <= a.as_of - interval '90 days') AS churned_buyers,
       round(count(*) FILTER (WHERE l.last_order_at <= a.as_of - interval '90 days')::numeric / count(*), 4)
           AS churn_rate,
       ac.inactive_customers,
       round(ac.inactive_customers::numeric / NULLIF(ac.customers, 0), 4) AS inactive_share
FROM last_orders AS l
JOIN as_of AS a ON a.tenant_id = l.tenant_id
JOIN accounts AS ac ON ac.tenant_id = l.tenant_id
GROUP BY l.tenant_id, a.as_of, ac.inactive_customers, ac.customers
ORDER BY 1;
