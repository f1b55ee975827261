WITH lines AS (
    SELECT oi.tenant_id, p.category, oi.quantity, oi.total, oi.quantity * p.cost AS cogs
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    JOIN models_app_product AS p ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
    WHERE o.status = 'completed'
)
SELECT l.tenant_id, l.category,
       count(*) AS order_lines,
       sum(l.quantity) AS units_sold,
       sum(l.total) AS revenue,
       sum(l.total) - sum(l.cogs) AS gross_profit,
       round((sum(l.total) - sum(l.cogs)) / NULLIF(sum(l.total), 0), 4) AS gross_margin,
       round(sum(l.total) / NULLIF(sum(sum(l.total)) OVER (PARTITION BY l.tenant_id), 0), 4) AS revenue_share
FROM lines AS l
GROUP BY 1, 2
ORDER BY 1, 5 DESC, 2;
