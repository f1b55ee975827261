SELECT o.tenant_id,
       date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month,
       count(*) AS completed_orders,
       sum(o.subtotal) AS merchandise_revenue,
       sum(o.total) AS revenue
FROM models_app_order AS o
WHERE o.status = 'completed'
GROUP BY 1, 2
ORDER BY 1, 2;
