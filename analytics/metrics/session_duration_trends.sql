WITH sessions AS (
    SELECT e.tenant_id, e.session_id, min(e.created_at) AS started_at, count(*) AS events,
           (EXTRACT(epoch FROM max(e.created_at)) - EXTRACT(epoch FROM min(e.created_at)))::float8 AS duration_s
    FROM models_app_event AS e
    GROUP BY 1, 2
)
SELECT s.tenant_id, date_trunc('week', s.started_at AT TIME ZONE 'UTC')::date AS week,
       count(*) AS sessions,
       round(avg(s.duration_s)::numeric, 1) AS avg_duration_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.duration_s)::numeric, 1) AS median_duration_s,
       round(avg(s.events), 2) AS events_per_session,
       round(count(*) FILTER (WHERE s.events = 1)::numeric / count(*), 4) AS bounce_rate
FROM sessions AS s
GROUP BY 1, 2
ORDER BY 1, 2;
