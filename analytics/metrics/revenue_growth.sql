WITH periods AS (
    SELECT o.tenant_id, 'month' AS period_type,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS period_start,
           (date_trunc('month', o.order_date AT TIME ZONE 'UTC') + interval '1 month')::date AS period_end,
           sum(o.total) AS revenue
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT o.tenant_id, 'quarter' AS period_type,
           date_trunc('quarter', o.order_date AT TIME ZONE 'UTC')::date AS period_start,
           (date_trunc('quarter', o.order_date AT TIME ZONE 'UTC') + interval '3 months')::date AS period_end,
           sum(o.total) AS revenue
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1, 2, 3, 4
),
span AS (
    SELECT o.tenant_id,
           min(o.order_date AT TIME ZONE 'UTC')::date AS first_day,
           max(o.order_date AT TIME ZONE 'UTC')::date AS last_day
    FROM models_app_order AS o
    WHERE o.status = 'completed'
    GROUP BY 1
),
covered AS (
    SELECT p.*,
           CAST(least(CAST(s.last_day + interval '1 day' AS date), p.period_end) AS date)
             - CAST(greatest(s.first_day, p.period_start) AS date) AS days_covered,
           (s.first_day > p.period_start OR CAST(s.last_day + interval '1 day' AS date) < p.period_end)
             AS partial_period
    FROM periods AS p
    JOIN span AS s ON s.tenant_id = p.tenant_id
)
SELECT c.tenant_id, c.period_type, c.period_start, c.days_covered, c.partial_period, c.revenue,
       round(c.revenue / c.days_covered, 2) AS revenue_per_day,
       round(c.revenue / NULLIF(lag(c.revenue) OVER (PARTITION BY c.tenant_id, c.period_type ORDER BY c.period_start), 0) - 1, 4) AS growth_rate,
       round((c.revenue / c.days_covered) / NULLIF(lag(c.revenue / c.days_covered) OVER (PARTITION BY c.tenant_id, c.period_type ORDER BY c.period_start), 0) - 1, 4)
           AS run_rate_growth
FROM covered AS c
ORDER BY 1, 2, 3;
