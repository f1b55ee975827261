WITH signups AS (
    SELECT c.tenant_id, date_trunc('month', c.created_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS new_customers
    FROM models_app_customer AS c
    GROUP BY 1, 2
),
first_orders AS (
    SELECT o.tenant_id, o.customer_id, min(o.order_date) AS first_order_at
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2
),
first_buyers AS (
    SELECT f.tenant_id, date_trunc('month', f.first_order_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS first_time_buyers
    FROM first_orders AS f
    GROUP BY 1, 2
)
SELECT tenant_id, month,
       coalesce(s.new_customers, 0) AS new_customers,
       coalesce(b.first_time_buyers, 0) AS first_time_buyers,
       sum(coalesce(s.new_customers, 0)) OVER (PARTITION BY tenant_id ORDER BY month) AS cumulative_customers
FROM signups AS s
FULL JOIN first_buyers AS b USING (tenant_id, month)
ORDER BY 1, 2;
