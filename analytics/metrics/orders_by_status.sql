SELECT o.tenant_id, o.status,
       count(*) AS orders,
       round(count(*)::numeric / sum(count(*)) OVER (PARTITION BY o.tenant_id), 4) AS share,
       sum(o.total) AS value
FROM models_app_order AS o
GROUP BY 1, 2
ORDER BY 1, 2;
