SELECT o.tenant_id,
       count(*) AS completed_orders,
       round(avg(o.total), 2) AS aov,
       round(avg(o.subtotal), 2) AS avg_subtotal,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY o.total::float8)::numeric, 2) AS median_order_value,
       min(o.total) AS min_order_value,
       max(o.total) AS max_order_value
FROM models_app_order AS o
WHERE o.status = 'completed'
GROUP BY 1
ORDER BY 1;
