WITH monthly AS (
    SELECT oi.tenant_id, p.category,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month,
           sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    JOIN models_app_product AS p ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
    WHERE o.status = 'completed'
    GROUP BY 1, 2, 3
)
SELECT m.tenant_id, m.month, m.category, m.units_sold, m.revenue,
       round(m.revenue / NULLIF(sum(m.revenue) OVER (PARTITION BY m.tenant_id, m.month), 0), 4) AS share_of_month,
       round(m.revenue / NULLIF(lag(m.revenue) OVER (PARTITION BY m.tenant_id, m.category ORDER BY m.month), 0) - 1,
             4) AS mom_growth
FROM monthly AS m
ORDER BY 1, 2, 3;
