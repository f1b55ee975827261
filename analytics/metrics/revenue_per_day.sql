SELECT o.tenant_id, (o.order_date AT TIME ZONE 'UTC')::date AS day,
       count(*) FILTER (WHERE o.status = 'completed') AS completed_orders,
       coalesce(sum(o.total) FILTER (WHERE o.status = 'completed'), 0) AS revenue,
       sum(o.total) AS booked_value
FROM models_app_order AS o
WHERE o.status <> 'cancelled'
GROUP BY 1, 2
ORDER BY 1, 2;
