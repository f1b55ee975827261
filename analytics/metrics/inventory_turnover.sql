WITH span AS (
    SELECT o.tenant_id,
           greatest((EXTRACT(epoch FROM max(o.order_date)) - EXTRACT(epoch FROM min(o.order_date))) / 86400, 1) AS days
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1
),
sold AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed'
    GROUP BY 1, 2
)
SELECT p.tenant_id, p.category,
       count(*) AS products,
       count(*) FILTER (WHERE p.stock_quantity <= 0) AS out_of_stock,
       sum(p.stock_quantity) AS units_in_stock,
       sum(p.stock_quantity * p.cost) AS inventory_value_at_cost,
       coalesce(sum(s.units * p.cost), 0) AS cogs,
       round(coalesce(sum(s.units * p.cost), 0) * 365 / sp.days
             / NULLIF(sum(p.stock_quantity * p.cost), 0), 2) AS annual_turnover,
       round(sum(p.stock_quantity * p.cost)
             / NULLIF(coalesce(sum(s.units * p.cost), 0) / sp.days, 0), 1) AS days_of_inventory
FROM models_app_product AS p
JOIN span AS sp ON sp.tenant_id = p.tenant_id
LEFT JOIN sold AS s ON s.tenant_id = p.tenant_id AND s.product_id = p.id
GROUP BY p.tenant_id, p.category, sp.days
ORDER BY 1, 2;
