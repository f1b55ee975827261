WITH steps (step_no, step) AS (
    VALUES (1, 'page_view'), (2, 'product_view'), (3, 'add_to_cart'), (4, 'checkout'), (5, 'purchase')
),
reached AS (
    SELECT e.tenant_id, e.event_type, count(DISTINCT e.session_id) AS sessions
    FROM models_app_event AS e
    WHERE e.event_type IN ('page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase')
    GROUP BY 1, 2
),
tenants AS (
    SELECT DISTINCT r.tenant_id FROM reached AS r
),
funnel AS (
    SELECT t.tenant_id, s.step_no, s.step, coalesce(r.sessions, 0) AS sessions
    FROM tenants AS t
    CROSS JOIN steps AS s
    LEFT JOIN reached AS r ON r.tenant_id = t.tenant_id AND r.event_type = s.step
)
SELECT f.tenant_id, f.step_no, f.step, f.sessions,
       round(f.sessions::numeric / NULLIF(lag(f.sessions) OVER (PARTITION BY f.tenant_id ORDER BY f.step_no), 0), 4) AS conversion_from_previous,
       round(f.sessions::numeric / NULLIF(first_value(f.sessions) OVER (PARTITION BY f.tenant_id ORDER BY f.step_no), 0), 4) AS conversion_from_start
FROM funnel AS f
ORDER BY 1, 2;
