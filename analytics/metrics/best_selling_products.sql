WITH sales AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue,
           count(DISTINCT oi.order_id) AS orders
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed'
    GROUP BY 1, 2
),
ranked AS (
    SELECT s.*,
           row_number() OVER (PARTITION BY s.tenant_id ORDER BY s.units_sold DESC, s.revenue DESC, s.product_id)
               AS sales_rank
    FROM sales AS s
)
SELECT r.tenant_id, r.sales_rank, p.sku, p.name, p.category, r.units_sold, r.orders, r.revenue
FROM ranked AS r
JOIN models_app_product AS p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
WHERE r.sales_rank <= 10
ORDER BY 1, 2;
