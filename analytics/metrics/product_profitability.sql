WITH sales AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed'
    GROUP BY 1, 2
),
profit AS (
    SELECT s.tenant_id, p.sku, p.name, p.category, p.price, p.cost, s.units_sold, s.revenue,
           s.units_sold * p.cost AS cogs,
           s.revenue - s.units_sold * p.cost AS gross_profit
    FROM sales AS s
    JOIN models_app_product AS p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
    ),
ranked AS (
    SELECT pr.*,
           row_number() OVER (PARTITION BY pr.tenant_id ORDER BY pr.gross_profit DESC, pr.sku) AS profit_rank,
           sum(CASE WHEN pr.gross_profit < 0 THEN 1 ELSE 0 END) OVER (PARTITION BY pr.tenant_id) AS loss_making_products
    FROM profit AS pr
)
SELECT r.tenant_id, r.profit_rank, r.sku, r.name, r.category, r.units_sold, r.revenue, r.cogs, r.gross_profit,
       round(r.gross_profit / NULLIF(r.revenue, 0), 4) AS gross_margin,
       round((r.price - r.cost) / r.price, 4) AS list_margin,
       r.loss_making_products
FROM ranked AS r
WHERE r.profit_rank <= 10
ORDER BY 1, 2;
