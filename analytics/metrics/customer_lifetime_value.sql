WITH per_customer AS (
    SELECT o.tenant_id, o.customer_id, count(*) AS orders, sum(o.total) AS revenue,
           min(o.order_date) AS first_at, max(o.order_date) AS last_at
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2
),
ranked AS (
    SELECT pc.*,
           row_number() OVER (PARTITION BY pc.tenant_id ORDER BY pc.orders DESC, pc.revenue DESC, pc.customer_id)
               AS rank_by_orders,
           count(*) OVER (PARTITION BY pc.tenant_id) AS buyers
    FROM per_customer AS pc
),
customers AS (
    SELECT c.tenant_id, count(*) AS customers
    FROM models_app_customer AS c
    GROUP BY 1
)
SELECT r.tenant_id, cu.customers,
       count(*) AS buyers,
       round(avg(r.revenue), 2) AS avg_clv,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.revenue::float8)::numeric, 2) AS median_clv,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY r.revenue::float8)::numeric, 2) AS p90_clv,
       round(avg(r.orders), 2) AS orders_per_buyer,
       round(avg((EXTRACT(epoch FROM r.last_at) - EXTRACT(epoch FROM r.first_at)) / 86400)::numeric, 1) AS avg_lifespan_days,
       round(sum(r.revenue) / NULLIF(cu.customers, 0), 2) AS revenue_per_customer,
       round(sum(r.orders) FILTER (WHERE r.rank_by_orders <= ceil(0.3 * r.buyers))::numeric / sum(r.orders), 4)
           AS top30_order_share
FROM ranked AS r
JOIN customers AS cu ON cu.tenant_id = r.tenant_id
GROUP BY 1, 2
ORDER BY 1;
