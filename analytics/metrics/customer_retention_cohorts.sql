WITH activity AS (
    SELECT DISTINCT o.tenant_id, o.customer_id,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month
    FROM models_app_order AS o
    WHERE o.status = 'completed'
),
cohorts AS (
    SELECT a.tenant_id, a.customer_id, min(a.month) AS cohort_month
    FROM activity AS a
    GROUP BY 1, 2
),
sizes AS (
    SELECT c.tenant_id, c.cohort_month, count(*) AS cohort_size
    FROM cohorts AS c
    GROUP BY 1, 2
)
SELECT c.tenant_id, c.cohort_month,
       ((EXTRACT(year FROM a.month) - EXTRACT(year FROM c.cohort_month)) * 12
         + EXTRACT(month FROM a.month) - EXTRACT(month FROM c.cohort_month))::int AS month_offset,
       s.cohort_size,
       count(*) AS active_customers,
       round(count(*)::numeric / s.cohort_size, 4) AS retention_rate
FROM cohorts AS c
JOIN activity AS a ON a.tenant_id = c.tenant_id AND a.customer_id = c.customer_id
JOIN sizes AS s ON s.tenant_id = c.tenant_id AND s.cohort_month = c.cohort_month
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3;
