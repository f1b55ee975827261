SELECT s.tenant_id, s.plan_name, s.billing_cycle,
       count(*) AS subscriptions,
       count(*) FILTER (WHERE s.status = 'active') AS active,
       count(*) FILTER (WHERE s.status = 'trial') AS trial,
       count(*) FILTER (WHERE s.status IN ('cancelled', 'expired')) AS ended,
       round(count(*) FILTER (WHERE s.status = 'active')::numeric
             / NULLIF(sum(count(*) FILTER (WHERE s.status = 'active')) OVER (PARTITION BY s.tenant_id), 0), 4)
           AS share_of_active,
       coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'active'), 0) AS active_mrr
FROM models_app_subscription AS s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
