WITH carts AS (
    SELECT e.tenant_id, e.session_id,
           min(e.created_at) FILTER (WHERE e.event_type = 'add_to_cart') AS carted_at,
           bool_or(e.event_type = 'checkout') AS checked_out,
           bool_or(e.event_type = 'purchase') AS purchased
    FROM models_app_event AS e
    WHERE e.event_type IN ('add_to_cart', 'checkout', 'purchase')
    GROUP BY 1, 2
)
SELECT c.tenant_id, date_trunc('month', c.carted_at AT TIME ZONE 'UTC')::date AS month,
       count(*) AS cart_sessions,
       count(*) FILTER (WHERE c.checked_out) AS checkout_sessions,
       count(*) FILTER (WHERE c.purchased) AS purchase_sessions,
       round(1 - count(*) FILTER (WHERE c.purchased)::numeric / count(*), 4) AS cart_abandonment_rate,
       round(1 - count(*) FILTER (WHERE c.checked_out AND c.purchased)::numeric
             / NULLIF(count(*) FILTER (WHERE c.checked_out), 0), 4) AS checkout_abandonment_rate
FROM carts AS c
WHERE c.carted_at IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2;
