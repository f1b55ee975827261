SELECT s.tenant_id,
       count(*) FILTER (WHERE s.status = 'active') AS active_subscriptions,
       coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'active'), 0) AS mrr,
       12 * coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'active'), 0) AS arr,
       round(avg(s.monthly_amount) FILTER (WHERE s.status = 'active'), 2) AS revenue_per_subscription,
       count(*) FILTER (WHERE s.status = 'active' AND s.billing_cycle = 'yearly') AS yearly_active,
       count(*) FILTER (WHERE s.status = 'trial') AS trials,
       coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'trial'), 0) AS trial_pipeline_mrr
FROM models_app_subscription AS s
GROUP BY 1
ORDER BY 1;
