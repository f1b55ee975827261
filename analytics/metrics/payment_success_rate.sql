SELECT i.tenant_id, date_trunc('month', i.issue_date::timestamp)::date AS month,
       count(*) FILTER (WHERE i.status IN ('sent', 'paid', 'overdue')) AS collectible_invoices,
       count(*) FILTER (WHERE i.status = 'paid') AS paid,
       count(*) FILTER (WHERE i.status = 'overdue') AS overdue,
       round(count(*) FILTER (WHERE i.status = 'paid')::numeric
             / NULLIF(count(*) FILTER (WHERE i.status IN ('sent', 'paid', 'overdue')), 0), 4) AS payment_success_rate,
       round(count(*) FILTER (WHERE i.status = 'paid' AND i.paid_date <= i.due_date)::numeric
             / NULLIF(count(*) FILTER (WHERE i.status IN ('sent', 'paid', 'overdue')), 0), 4) AS on_time_rate,
       coalesce(sum(i.amount) FILTER (WHERE i.status = 'paid'), 0) AS amount_paid,
       coalesce(sum(i.amount) FILTER (WHERE i.status = 'overdue'), 0) AS amount_overdue
FROM models_app_invoice AS i
GROUP BY 1, 2
ORDER BY 1, 2;
