WITH as_of AS (
    SELECT e.tenant_id, max(e.created_at) AS as_of
    FROM models_app_event AS e
    GROUP BY 1
),
activity AS (
    SELECT e.tenant_id, e.customer_id,
           count(DISTINCT (e.created_at AT TIME ZONE 'UTC')::date) AS active_days,
           sum(CASE e.event_type
                   WHEN 'purchase' THEN 10 WHEN 'checkout' THEN 6 WHEN 'add_to_cart' THEN 4
                   WHEN 'product_view' THEN 2 WHEN 'search' THEN 2 ELSE 1 END) AS points,
           bool_or(e.event_type = 'purchase') AS purchased
    FROM models_app_event AS e
    JOIN as_of AS a ON a.tenant_id = e.tenant_id
    WHERE e.customer_id IS NOT NULL AND e.created_at > a.as_of - interval '30 days'
    GROUP BY 1, 2
),
scored AS (
    SELECT a.tenant_id, a.customer_id,
           40 * least(a.active_days, 10) / 10.0
           + 40 * least(a.points, 50) / 50.0
           + CASE WHEN a.purchased THEN 20 ELSE 0 END AS score
    FROM activity AS a
),
accounts AS (
    SELECT c.tenant_id, count(*) FILTER (WHERE c.is_active) AS active_customers
    FROM models_app_customer AS c
    GROUP BY 1
)
SELECT s.tenant_id,
       count(*) AS customers_scored,
       round(count(*)::numeric / NULLIF(ac.active_customers, 0), 4) AS engaged_share,
       round(avg(s.score), 1) AS avg_score,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.score::float8)::numeric, 1) AS median_score,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY s.score::float8)::numeric, 1) AS p90_score,
       count(*) FILTER (WHERE s.score >= 60) AS high,
       count(*) FILTER (WHERE s.score >= 30 AND s.score < 60) AS medium,
       count(*) FILTER (WHERE s.score < 30) AS low
FROM scored AS s
LEFT JOIN accounts AS ac ON ac.tenant_id = s.tenant_id
GROUP BY s.tenant_id, ac.active_customers
ORDER BY 1;
