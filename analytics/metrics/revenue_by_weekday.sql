WITH daily AS (
    SELECT o.tenant_id, (o.order_date AT TIME ZONE 'UTC')::date AS day, sum(o.total) AS revenue,
           count(*) AS orders
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2
)
SELECT d.tenant_id, EXTRACT(isodow FROM d.day)::int AS isodow,
       count(*) AS days,
       sum(d.orders) AS completed_orders,
       sum(d.revenue) AS revenue,
       round(avg(d.revenue), 2) AS avg_daily_revenue
FROM daily AS d
GROUP BY 1, 2
ORDER BY 1, 2;
