-- Sample analytics queries for the lakehouse source (seed plan §9).
--
-- Contract (checked by tests/analytics/):
--   * Every query runs UNCHANGED in two ways:
--       - as the app role inside `tenant_context(t)`: row-level security restricts every table
--         to tenant t, so the result holds that tenant's rows only;
--       - as the replication role (BYPASSRLS): the result holds every tenant's rows.
--     So no query ever filters by tenant itself; every query returns `tenant_id` as its first
--     column and groups (and partitions windows) by it. The rows of tenant t are the same both ways.
--   * Timestamps are bucketed in UTC explicitly (`AT TIME ZONE 'UTC'`, dates cast to
--     `timestamp` before `date_trunc`), so the result does not depend on the session time zone.
--   * `/*@tenant x*/` is an inert comment. The RLS-tax benchmark (`manage.py bench_rls`) turns
--     it into `AND x.tenant_id = %(tenant)s` to run the same query as the replication role with
--     an explicit tenant filter pushed into the base tables. Each marker closes a WHERE clause;
--     `WHERE TRUE` opens one where a scan needs no other condition.
--   * Revenue is completed orders (`status = 'completed'`), dated by `order_date`.
--   * No literal percent signs: the filtered variant is run with pyformat parameters.
--
-- Block format: `-- name:` starts a query; `-- title:`, `-- group:`, `-- kind:` (metric|chart)
-- and `-- description:` lines follow; the SQL runs until the next `-- name:`.

-- =====================================================================================
-- Revenue metrics
-- =====================================================================================

-- name: revenue_by_tenant_over_time
-- title: Revenue by tenant over time
-- group: revenue
-- kind: metric
-- description: Completed orders and revenue per calendar month (UTC).
SELECT o.tenant_id,
       date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month,
       count(*) AS completed_orders,
       sum(o.subtotal) AS merchandise_revenue,
       sum(o.total) AS revenue
FROM models_app_order AS o
WHERE o.status = 'completed' /*@tenant o*/
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: average_order_value
-- title: Average order value
-- group: revenue
-- kind: metric
-- description: Mean, median and spread of completed order totals over the whole history.
SELECT o.tenant_id,
       count(*) AS completed_orders,
       round(avg(o.total), 2) AS aov,
       round(avg(o.subtotal), 2) AS avg_subtotal,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY o.total::float8)::numeric, 2) AS median_order_value,
       min(o.total) AS min_order_value,
       max(o.total) AS max_order_value
FROM models_app_order AS o
WHERE o.status = 'completed' /*@tenant o*/
GROUP BY 1
ORDER BY 1;

-- name: revenue_growth
-- title: Revenue growth rate (MoM and QoQ)
-- group: revenue
-- kind: metric
-- description: Revenue per month and per quarter with growth against the previous period. The first and last periods are usually partial; revenue_per_day (revenue over the days the data covers in the period) and run_rate_growth compare them fairly.
WITH periods AS (
    SELECT o.tenant_id, 'month' AS period_type,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS period_start,
           (date_trunc('month', o.order_date AT TIME ZONE 'UTC') + interval '1 month')::date AS period_end,
           sum(o.total) AS revenue
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT o.tenant_id, 'quarter' AS period_type,
           date_trunc('quarter', o.order_date AT TIME ZONE 'UTC')::date AS period_start,
           (date_trunc('quarter', o.order_date AT TIME ZONE 'UTC') + interval '3 months')::date AS period_end,
           sum(o.total) AS revenue
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2, 3, 4
),
span AS (
    SELECT o.tenant_id,
           min(o.order_date AT TIME ZONE 'UTC')::date AS first_day,
           max(o.order_date AT TIME ZONE 'UTC')::date AS last_day
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1
),
covered AS (
    SELECT p.*,
           least(s.last_day + 1, p.period_end) - greatest(s.first_day, p.period_start) AS days_covered,
           (s.first_day > p.period_start OR s.last_day + 1 < p.period_end) AS partial_period
    FROM periods AS p
    JOIN span AS s ON s.tenant_id = p.tenant_id
)
SELECT c.tenant_id, c.period_type, c.period_start, c.days_covered, c.partial_period, c.revenue,
       round(c.revenue / c.days_covered, 2) AS revenue_per_day,
       round(c.revenue / NULLIF(lag(c.revenue) OVER w, 0) - 1, 4) AS growth_rate,
       round((c.revenue / c.days_covered) / NULLIF(lag(c.revenue / c.days_covered) OVER w, 0) - 1, 4)
           AS run_rate_growth
FROM covered AS c
WINDOW w AS (PARTITION BY c.tenant_id, c.period_type ORDER BY c.period_start)
ORDER BY 1, 2, 3;

-- name: category_performance
-- title: Product category performance
-- group: revenue
-- kind: metric
-- description: Units, revenue, gross profit (at the product's current cost) and revenue share per category.
WITH lines AS (
    SELECT oi.tenant_id, p.category, oi.quantity, oi.total, oi.quantity * p.cost AS cogs
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    JOIN models_app_product AS p ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
    WHERE o.status = 'completed' /*@tenant oi*/ /*@tenant o*/ /*@tenant p*/
)
SELECT l.tenant_id, l.category,
       count(*) AS order_lines,
       sum(l.quantity) AS units_sold,
       sum(l.total) AS revenue,
       sum(l.total) - sum(l.cogs) AS gross_profit,
       round((sum(l.total) - sum(l.cogs)) / NULLIF(sum(l.total), 0), 4) AS gross_margin,
       round(sum(l.total) / NULLIF(sum(sum(l.total)) OVER (PARTITION BY l.tenant_id), 0), 4) AS revenue_share
FROM lines AS l
GROUP BY 1, 2
ORDER BY 1, 5 DESC, 2;

-- =====================================================================================
-- Customer metrics
-- =====================================================================================

-- name: customer_acquisition
-- title: Customer acquisition
-- group: customers
-- kind: metric
-- description: New customer accounts per month (by created_at), first-time buyers per month (first completed order) and the running customer count.
WITH signups AS (
    SELECT c.tenant_id, date_trunc('month', c.created_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS new_customers
    FROM models_app_customer AS c
    WHERE TRUE /*@tenant c*/
    GROUP BY 1, 2
),
first_orders AS (
    SELECT o.tenant_id, o.customer_id, min(o.order_date) AS first_order_at
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2
),
first_buyers AS (
    SELECT f.tenant_id, date_trunc('month', f.first_order_at AT TIME ZONE 'UTC')::date AS month,
           count(*) AS first_time_buyers
    FROM first_orders AS f
    GROUP BY 1, 2
)
SELECT tenant_id, month,
       coalesce(s.new_customers, 0) AS new_customers,
       coalesce(b.first_time_buyers, 0) AS first_time_buyers,
       sum(coalesce(s.new_customers, 0)) OVER (PARTITION BY tenant_id ORDER BY month) AS cumulative_customers
FROM signups AS s
FULL JOIN first_buyers AS b USING (tenant_id, month)
ORDER BY 1, 2;

-- name: customer_lifetime_value
-- title: Customer lifetime value
-- group: customers
-- kind: metric
-- description: Historical value of the customers who bought (completed revenue per buyer), purchase frequency, lifespan between first and last order, and the share of orders placed by the top 30% of buyers (the plan expects about 70%).
WITH per_customer AS (
    SELECT o.tenant_id, o.customer_id, count(*) AS orders, sum(o.total) AS revenue,
           min(o.order_date) AS first_at, max(o.order_date) AS last_at
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2
),
ranked AS (
    SELECT pc.*,
           row_number() OVER (PARTITION BY pc.tenant_id ORDER BY pc.orders DESC, pc.revenue DESC, pc.customer_id)
               AS rank_by_orders,
           count(*) OVER (PARTITION BY pc.tenant_id) AS buyers
    FROM per_customer AS pc
),
customers AS (
    SELECT c.tenant_id, count(*) AS customers
    FROM models_app_customer AS c
    WHERE TRUE /*@tenant c*/
    GROUP BY 1
)
SELECT r.tenant_id, cu.customers,
       count(*) AS buyers,
       round(avg(r.revenue), 2) AS avg_clv,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.revenue::float8)::numeric, 2) AS median_clv,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY r.revenue::float8)::numeric, 2) AS p90_clv,
       round(avg(r.orders), 2) AS orders_per_buyer,
       round(avg(EXTRACT(epoch FROM r.last_at - r.first_at) / 86400)::numeric, 1) AS avg_lifespan_days,
       round(sum(r.revenue) / NULLIF(cu.customers, 0), 2) AS revenue_per_customer,
       round(sum(r.orders) FILTER (WHERE r.rank_by_orders <= ceil(0.3 * r.buyers))::numeric / sum(r.orders), 4)
           AS top30_order_share
FROM ranked AS r
JOIN customers AS cu ON cu.tenant_id = r.tenant_id
GROUP BY 1, 2
ORDER BY 1;

-- name: customer_retention_cohorts
-- title: Retention rates (monthly cohorts)
-- group: customers
-- kind: metric
-- description: Customers grouped by the month of their first completed order; for each later month, the share of the cohort that completed an order in that month.
WITH activity AS (
    SELECT DISTINCT o.tenant_id, o.customer_id,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
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

-- name: customer_churn
-- title: Churn analysis
-- group: customers
-- kind: metric
-- description: A buyer has churned when their last completed order is more than 90 days before the tenant's latest completed order (the as-of date). Also the share of customer accounts flagged inactive.
WITH last_orders AS (
    SELECT o.tenant_id, o.customer_id, max(o.order_date) AS last_order_at
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2
),
as_of AS (
    SELECT l.tenant_id, max(l.last_order_at) AS as_of
    FROM last_orders AS l
    GROUP BY 1
),
accounts AS (
    SELECT c.tenant_id, count(*) AS customers, count(*) FILTER (WHERE NOT c.is_active) AS inactive_customers
    FROM models_app_customer AS c
    WHERE TRUE /*@tenant c*/
    GROUP BY 1
)
SELECT l.tenant_id,
       (a.as_of AT TIME ZONE 'UTC')::date AS as_of_date,
       90 AS window_days,
       count(*) AS buyers,
       count(*) FILTER (WHERE l.last_order_at > a.as_of - interval '90 days') AS active_buyers,
       count(*) FILTER (WHERE l.last_order_at <= a.as_of - interval '90 days') AS churned_buyers,
       round(count(*) FILTER (WHERE l.last_order_at <= a.as_of - interval '90 days')::numeric / count(*), 4)
           AS churn_rate,
       ac.inactive_customers,
       round(ac.inactive_customers::numeric / NULLIF(ac.customers, 0), 4) AS inactive_share
FROM last_orders AS l
JOIN as_of AS a ON a.tenant_id = l.tenant_id
JOIN accounts AS ac ON ac.tenant_id = l.tenant_id
GROUP BY l.tenant_id, a.as_of, ac.inactive_customers, ac.customers
ORDER BY 1;

-- =====================================================================================
-- Product metrics
-- =====================================================================================

-- name: best_selling_products
-- title: Best-selling products
-- group: products
-- kind: metric
-- description: The ten products with the most units sold in completed orders, per tenant.
WITH sales AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue,
           count(DISTINCT oi.order_id) AS orders
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed' /*@tenant oi*/ /*@tenant o*/
    GROUP BY 1, 2
),
ranked AS (
    SELECT s.*,
           row_number() OVER (PARTITION BY s.tenant_id ORDER BY s.units_sold DESC, s.revenue DESC, s.product_id)
               AS sales_rank
    FROM sales AS s
)
SELECT r.tenant_id, r.sales_rank, p.sku, p.name, p.category, r.units_sold, r.orders, r.revenue
FROM ranked AS r
JOIN models_app_product AS p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
WHERE r.sales_rank <= 10 /*@tenant p*/
ORDER BY 1, 2;

-- name: inventory_turnover
-- title: Inventory turnover
-- group: products
-- kind: metric
-- description: Per category, cost of goods sold over the order history, annualised, divided by the stock on hand at cost; days_of_inventory is how long the current stock lasts at that pace.
WITH span AS (
    SELECT o.tenant_id,
           greatest(EXTRACT(epoch FROM max(o.order_date) - min(o.order_date)) / 86400, 1) AS days
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1
),
sold AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed' /*@tenant oi*/ /*@tenant o*/
    GROUP BY 1, 2
)
SELECT p.tenant_id, p.category,
       count(*) AS products,
       count(*) FILTER (WHERE p.stock_quantity <= 0) AS out_of_stock,
       sum(p.stock_quantity) AS units_in_stock,
       sum(p.stock_quantity * p.cost) AS inventory_value_at_cost,
       coalesce(sum(s.units * p.cost), 0) AS cogs,
       round(coalesce(sum(s.units * p.cost), 0) * 365 / sp.days
             / NULLIF(sum(p.stock_quantity * p.cost), 0), 2) AS annual_turnover,
       round(sum(p.stock_quantity * p.cost)
             / NULLIF(coalesce(sum(s.units * p.cost), 0) / sp.days, 0), 1) AS days_of_inventory
FROM models_app_product AS p
JOIN span AS sp ON sp.tenant_id = p.tenant_id
LEFT JOIN sold AS s ON s.tenant_id = p.tenant_id AND s.product_id = p.id
WHERE TRUE /*@tenant p*/
GROUP BY p.tenant_id, p.category, sp.days
ORDER BY 1, 2;

-- name: product_profitability
-- title: Product profitability
-- group: products
-- kind: metric
-- description: The ten products with the highest gross profit (line totals minus units times current cost), their margins, and how many products lose money after discounts.
WITH sales AS (
    SELECT oi.tenant_id, oi.product_id, sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    WHERE o.status = 'completed' /*@tenant oi*/ /*@tenant o*/
    GROUP BY 1, 2
),
profit AS (
    SELECT s.tenant_id, p.sku, p.name, p.category, p.price, p.cost, s.units_sold, s.revenue,
           s.units_sold * p.cost AS cogs,
           s.revenue - s.units_sold * p.cost AS gross_profit
    FROM sales AS s
    JOIN models_app_product AS p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
    WHERE TRUE /*@tenant p*/
),
ranked AS (
    SELECT pr.*,
           row_number() OVER (PARTITION BY pr.tenant_id ORDER BY pr.gross_profit DESC, pr.sku) AS profit_rank,
           count(*) FILTER (WHERE pr.gross_profit < 0) OVER (PARTITION BY pr.tenant_id) AS loss_making_products
    FROM profit AS pr
)
SELECT r.tenant_id, r.profit_rank, r.sku, r.name, r.category, r.units_sold, r.revenue, r.cogs, r.gross_profit,
       round(r.gross_profit / NULLIF(r.revenue, 0), 4) AS gross_margin,
       round((r.price - r.cost) / r.price, 4) AS list_margin,
       r.loss_making_products
FROM ranked AS r
WHERE r.profit_rank <= 10
ORDER BY 1, 2;

-- name: category_trends
-- title: Category trends
-- group: products
-- kind: metric
-- description: Monthly units and revenue per category, each category's share of the month and its month-over-month change.
WITH monthly AS (
    SELECT oi.tenant_id, p.category,
           date_trunc('month', o.order_date AT TIME ZONE 'UTC')::date AS month,
           sum(oi.quantity) AS units_sold, sum(oi.total) AS revenue
    FROM models_app_orderitem AS oi
    JOIN models_app_order AS o ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
    JOIN models_app_product AS p ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
    WHERE o.status = 'completed' /*@tenant oi*/ /*@tenant o*/ /*@tenant p*/
    GROUP BY 1, 2, 3
)
SELECT m.tenant_id, m.month, m.category, m.units_sold, m.revenue,
       round(m.revenue / NULLIF(sum(m.revenue) OVER (PARTITION BY m.tenant_id, m.month), 0), 4) AS share_of_month,
       round(m.revenue / NULLIF(lag(m.revenue) OVER (PARTITION BY m.tenant_id, m.category ORDER BY m.month), 0) - 1,
             4) AS mom_growth
FROM monthly AS m
ORDER BY 1, 2, 3;

-- =====================================================================================
-- Behavioral metrics
-- =====================================================================================

-- name: conversion_funnel
-- title: Conversion funnel
-- group: behavior
-- kind: metric
-- description: Distinct sessions that reached each step (page_view, product_view, add_to_cart, checkout, purchase) and the conversion from the previous step and from the first.
WITH steps (step_no, step) AS (
    VALUES (1, 'page_view'), (2, 'product_view'), (3, 'add_to_cart'), (4, 'checkout'), (5, 'purchase')
),
reached AS (
    SELECT e.tenant_id, e.event_type, count(DISTINCT e.session_id) AS sessions
    FROM models_app_event AS e
    WHERE e.event_type IN ('page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase') /*@tenant e*/
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
       round(f.sessions::numeric / NULLIF(lag(f.sessions) OVER w, 0), 4) AS conversion_from_previous,
       round(f.sessions::numeric / NULLIF(first_value(f.sessions) OVER w, 0), 4) AS conversion_from_start
FROM funnel AS f
WINDOW w AS (PARTITION BY f.tenant_id ORDER BY f.step_no)
ORDER BY 1, 2;

-- name: session_duration_trends
-- title: Session duration trends
-- group: behavior
-- kind: metric
-- description: Per week of session start, the number of sessions, mean and median duration (first to last event), events per session and the bounce rate (sessions with a single event).
WITH sessions AS (
    SELECT e.tenant_id, e.session_id, min(e.created_at) AS started_at, count(*) AS events,
           EXTRACT(epoch FROM max(e.created_at) - min(e.created_at))::float8 AS duration_s
    FROM models_app_event AS e
    WHERE TRUE /*@tenant e*/
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

-- name: cart_abandonment
-- title: Cart abandonment rates
-- group: behavior
-- kind: metric
-- description: Per month of the first add_to_cart, the sessions that filled a cart, reached checkout and purchased; cart abandonment is the share of cart sessions without a purchase, checkout abandonment the share of checkout sessions without one.
WITH carts AS (
    SELECT e.tenant_id, e.session_id,
           min(e.created_at) FILTER (WHERE e.event_type = 'add_to_cart') AS carted_at,
           bool_or(e.event_type = 'checkout') AS checked_out,
           bool_or(e.event_type = 'purchase') AS purchased
    FROM models_app_event AS e
    WHERE e.event_type IN ('add_to_cart', 'checkout', 'purchase') /*@tenant e*/
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

-- name: engagement_score
-- title: User engagement scores
-- group: behavior
-- kind: metric
-- description: Score from 0 to 100 per signed-in customer over the 30 days ending at the tenant's latest event: 40 points for frequency (distinct active days, full at 10), 40 for depth (weighted actions, full at 50 points: purchase 10, checkout 6, add_to_cart 4, product_view 2, search 2, other events 1) and 20 for having purchased. Bands: high >= 60, medium 30-60, low < 30.
WITH as_of AS (
    SELECT e.tenant_id, max(e.created_at) AS as_of
    FROM models_app_event AS e
    WHERE TRUE /*@tenant e*/
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
    WHERE e.customer_id IS NOT NULL AND e.created_at > a.as_of - interval '30 days' /*@tenant e*/
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
    WHERE TRUE /*@tenant c*/
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

-- =====================================================================================
-- Subscription metrics
-- =====================================================================================

-- name: mrr
-- title: MRR (monthly recurring revenue)
-- group: subscriptions
-- kind: metric
-- description: The monthly amounts of the subscriptions whose status is active (yearly plans carry their monthly equivalent), ARR, revenue per active subscription, and the trial pipeline.
SELECT s.tenant_id,
       count(*) FILTER (WHERE s.status = 'active') AS active_subscriptions,
       coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'active'), 0) AS mrr,
       12 * coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'active'), 0) AS arr,
       round(avg(s.monthly_amount) FILTER (WHERE s.status = 'active'), 2) AS revenue_per_subscription,
       count(*) FILTER (WHERE s.status = 'active' AND s.billing_cycle = 'yearly') AS yearly_active,
       count(*) FILTER (WHERE s.status = 'trial') AS trials,
       coalesce(sum(s.monthly_amount) FILTER (WHERE s.status = 'trial'), 0) AS trial_pipeline_mrr
FROM models_app_subscription AS s
WHERE TRUE /*@tenant s*/
GROUP BY 1
ORDER BY 1;

-- name: subscription_churn
-- title: Subscription churn
-- group: subscriptions
-- kind: metric
-- description: Per month, the paying subscriptions (not trials) active on the first day, those among them that ended (cancelled or expired) during the month, the churn rate and the MRR lost, plus new subscriptions started.
WITH subs AS (
    SELECT s.tenant_id, s.start_date, s.end_date, s.status, s.monthly_amount
    FROM models_app_subscription AS s
    WHERE s.status <> 'trial' /*@tenant s*/
),
bounds AS (
    SELECT b.tenant_id, min(b.start_date) AS first_day,
           greatest(max(b.start_date), max(b.end_date)) AS last_day
    FROM subs AS b
    GROUP BY 1
),
months AS (
    SELECT b.tenant_id,
           generate_series(date_trunc('month', b.first_day::timestamp),
                           date_trunc('month', b.last_day::timestamp), interval '1 month')::date AS month
    FROM bounds AS b
),
flags AS (
    SELECT m.tenant_id, m.month, s.monthly_amount,
           (s.start_date < m.month AND (s.end_date IS NULL OR s.end_date >= m.month)) AS active_at_start,
           (s.start_date < m.month AND s.end_date >= m.month AND s.end_date < (m.month + interval '1 month')::date
             AND s.status IN ('cancelled', 'expired')) AS churned,
           (s.start_date >= m.month AND s.start_date < (m.month + interval '1 month')::date) AS started
    FROM months AS m
    JOIN subs AS s ON s.tenant_id = m.tenant_id
)
SELECT f.tenant_id, f.month,
       count(*) FILTER (WHERE f.active_at_start) AS active_at_start,
       count(*) FILTER (WHERE f.started) AS new_subscriptions,
       count(*) FILTER (WHERE f.churned) AS churned,
       round(count(*) FILTER (WHERE f.churned)::numeric
             / NULLIF(count(*) FILTER (WHERE f.active_at_start), 0), 4) AS churn_rate,
       coalesce(sum(f.monthly_amount) FILTER (WHERE f.churned), 0) AS churned_mrr
FROM flags AS f
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: plan_distribution
-- title: Plan distribution
-- group: subscriptions
-- kind: metric
-- description: Subscriptions per plan and billing cycle by status, each plan's share of active subscriptions and its MRR.
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
WHERE TRUE /*@tenant s*/
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;

-- name: payment_success_rate
-- title: Payment success rates
-- group: subscriptions
-- kind: metric
-- description: Per month of issue, invoices that were sent to the customer (sent, paid or overdue; drafts and cancelled ones excluded), the share paid, the share paid by the due date, and the amounts paid and overdue.
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
WHERE TRUE /*@tenant i*/
GROUP BY 1, 2
ORDER BY 1, 2;

-- =====================================================================================
-- Chart series (used by `manage.py report`; same contract as the metrics)
-- =====================================================================================

-- name: revenue_per_day
-- title: Revenue per day
-- group: revenue
-- kind: chart
-- description: Completed orders and revenue per UTC day, and the booked value (every order not cancelled, so also those still pending or processing, which crowd the most recent days).
SELECT o.tenant_id, (o.order_date AT TIME ZONE 'UTC')::date AS day,
       count(*) FILTER (WHERE o.status = 'completed') AS completed_orders,
       coalesce(sum(o.total) FILTER (WHERE o.status = 'completed'), 0) AS revenue,
       sum(o.total) AS booked_value
FROM models_app_order AS o
WHERE o.status <> 'cancelled' /*@tenant o*/
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: revenue_by_weekday
-- title: Revenue by weekday
-- group: revenue
-- kind: chart
-- description: Mean completed revenue per calendar day for each ISO weekday (1 = Monday), over the days that had orders.
WITH daily AS (
    SELECT o.tenant_id, (o.order_date AT TIME ZONE 'UTC')::date AS day, sum(o.total) AS revenue,
           count(*) AS orders
    FROM models_app_order AS o
    WHERE o.status = 'completed' /*@tenant o*/
    GROUP BY 1, 2
)
SELECT d.tenant_id, EXTRACT(isodow FROM d.day)::int AS isodow,
       count(*) AS days,
       sum(d.orders) AS completed_orders,
       sum(d.revenue) AS revenue,
       round(avg(d.revenue), 2) AS avg_daily_revenue
FROM daily AS d
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: orders_by_status
-- title: Orders by status
-- group: revenue
-- kind: chart
-- description: Orders per status, their share of all orders and their value.
SELECT o.tenant_id, o.status,
       count(*) AS orders,
       round(count(*)::numeric / sum(count(*)) OVER (PARTITION BY o.tenant_id), 4) AS share,
       sum(o.total) AS value
FROM models_app_order AS o
WHERE TRUE /*@tenant o*/
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: mrr_over_time
-- title: MRR over time
-- group: subscriptions
-- kind: chart
-- description: MRR at the end of each month, from subscription dates - paying subscriptions (not trials) started on or before the month's last day and not ended by then.
WITH subs AS (
    SELECT s.tenant_id, s.start_date, s.end_date, s.monthly_amount
    FROM models_app_subscription AS s
    WHERE s.status <> 'trial' /*@tenant s*/
),
months AS (
    SELECT b.tenant_id,
           (generate_series(date_trunc('month', b.first_day::timestamp),
                            date_trunc('month', b.last_day::timestamp), interval '1 month')
            + interval '1 month' - interval '1 day')::date AS month_end
    FROM (SELECT tenant_id, min(start_date) AS first_day, max(start_date) AS last_day
          FROM subs GROUP BY 1) AS b
)
SELECT m.tenant_id, m.month_end,
       count(s.*) FILTER (WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end))
           AS active_subscriptions,
       coalesce(sum(s.monthly_amount) FILTER (
           WHERE s.start_date <= m.month_end AND (s.end_date IS NULL OR s.end_date > m.month_end)), 0) AS mrr
FROM months AS m
JOIN subs AS s ON s.tenant_id = m.tenant_id
GROUP BY 1, 2
ORDER BY 1, 2;
