-- The analytics metrics of the seed plan (section 9), Amazon Athena (Trino), over the Silver tables of the Glue catalog, named like the source tables.
-- GENERATED from analytics/metrics/ (one definition per metric) by
--   python manage.py metrics --sql --dialect athena --out <file>
-- Do not edit: change the definition and regenerate. Each query returns every tenant's rows,
-- tenant_id first; `metrics --sql --tenant SLUG` prints them filtered to one tenant.

-- revenue_by_tenant_over_time: Revenue by tenant over time [revenue]
--   Completed orders and revenue per calendar month (UTC).
SELECT
  o.tenant_id,
  CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS month,
  COUNT(*) AS completed_orders,
  SUM(o.subtotal) AS merchandise_revenue,
  SUM(o.total) AS revenue
FROM models_app_order AS o
WHERE
  o.status = 'completed'
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- average_order_value: Average order value [revenue]
--   Mean, median and spread of completed order totals over the whole history.
SELECT
  o.tenant_id,
  COUNT(*) AS completed_orders,
  ROUND(AVG(o.total), 2) AS aov,
  ROUND(AVG(o.subtotal), 2) AS avg_subtotal,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(CAST(o.total AS DOUBLE))),
        CAST(FLOOR(0.5 * (
          COUNT(CAST(o.total AS DOUBLE)) - 1
        )) AS BIGINT) + 1
      ) + (
        0.5 * (
          COUNT(CAST(o.total AS DOUBLE)) - 1
        ) - FLOOR(0.5 * (
          COUNT(CAST(o.total AS DOUBLE)) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(o.total AS DOUBLE))),
          CAST(CEIL(0.5 * (
            COUNT(CAST(o.total AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(o.total AS DOUBLE))),
          CAST(FLOOR(0.5 * (
            COUNT(CAST(o.total AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    2
  ) AS median_order_value,
  MIN(o.total) AS min_order_value,
  MAX(o.total) AS max_order_value
FROM models_app_order AS o
WHERE
  o.status = 'completed'
GROUP BY
  1
ORDER BY
  1;

-- revenue_growth: Revenue growth rate (MoM and QoQ) [revenue]
--   Revenue per month and per quarter with growth against the previous period. The first and last
--   periods are usually partial; revenue_per_day (revenue over the days the data covers in the period)
--   and run_rate_growth compare them fairly.
WITH periods AS (
  SELECT
    o.tenant_id,
    'month' AS period_type,
    CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS period_start,
    CAST((
      DATE_TRUNC('MONTH', AT_TIMEZONE(o.order_date, 'UTC')) + INTERVAL '1' MONTH
    ) AS DATE) AS period_end,
    SUM(o.total) AS revenue
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2,
    3,
    4
  UNION ALL
  SELECT
    o.tenant_id,
    'quarter' AS period_type,
    CAST(DATE_TRUNC('QUARTER', AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS period_start,
    CAST((
      DATE_TRUNC('QUARTER', AT_TIMEZONE(o.order_date, 'UTC')) + INTERVAL '3' MONTH
    ) AS DATE) AS period_end,
    SUM(o.total) AS revenue
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2,
    3,
    4
), span AS (
  SELECT
    o.tenant_id,
    CAST(MIN(AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS first_day,
    CAST(MAX(AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS last_day
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1
), covered AS (
  SELECT
    p.*,
    DATE_DIFF(
      'DAY',
      CAST(GREATEST(COALESCE(s.first_day, p.period_start), COALESCE(p.period_start, s.first_day)) AS DATE),
      CAST(LEAST(
        COALESCE(CAST(s.last_day + INTERVAL '1' DAY AS DATE), p.period_end),
        COALESCE(p.period_end, CAST(s.last_day + INTERVAL '1' DAY AS DATE))
      ) AS DATE)
    ) AS days_covered,
    (
      s.first_day > p.period_start
      OR CAST(s.last_day + INTERVAL '1' DAY AS DATE) < p.period_end
    ) AS partial_period
  FROM periods AS p
  JOIN span AS s
    ON s.tenant_id = p.tenant_id
)
SELECT
  c.tenant_id,
  c.period_type,
  c.period_start,
  c.days_covered,
  c.partial_period,
  c.revenue,
  ROUND(CAST(c.revenue AS DECIMAL(38, 10)) / c.days_covered, 2) AS revenue_per_day,
  ROUND(
    CAST(c.revenue AS DECIMAL(38, 10)) / NULLIF(
      LAG(c.revenue) OVER (PARTITION BY c.tenant_id, c.period_type ORDER BY c.period_start),
      0
    ) - 1,
    4
  ) AS growth_rate,
  ROUND(
    CAST((
      CAST(c.revenue AS DECIMAL(38, 10)) / c.days_covered
    ) AS DECIMAL(38, 10)) / NULLIF(
      LAG(CAST(c.revenue AS DECIMAL(38, 10)) / c.days_covered) OVER (PARTITION BY c.tenant_id, c.period_type ORDER BY c.period_start),
      0
    ) - 1,
    4
  ) AS run_rate_growth
FROM covered AS c
ORDER BY
  1,
  2,
  3;

-- category_performance: Product category performance [revenue]
--   Units, revenue, gross profit (at the product's current cost) and revenue share per category.
WITH lines AS (
  SELECT
    oi.tenant_id,
    p.category,
    oi.quantity,
    oi.total,
    oi.quantity * p.cost AS cogs
  FROM models_app_orderitem AS oi
  JOIN models_app_order AS o
    ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
  JOIN models_app_product AS p
    ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
  WHERE
    o.status = 'completed'
)
SELECT
  l.tenant_id,
  l.category,
  COUNT(*) AS order_lines,
  SUM(l.quantity) AS units_sold,
  SUM(l.total) AS revenue,
  SUM(l.total) - SUM(l.cogs) AS gross_profit,
  ROUND(
    CAST((
      SUM(l.total) - SUM(l.cogs)
    ) AS DECIMAL(38, 10)) / NULLIF(SUM(l.total), 0),
    4
  ) AS gross_margin,
  ROUND(
    CAST(SUM(l.total) AS DECIMAL(38, 10)) / NULLIF(SUM(SUM(l.total)) OVER (PARTITION BY l.tenant_id), 0),
    4
  ) AS revenue_share
FROM lines AS l
GROUP BY
  1,
  2
ORDER BY
  1,
  5 DESC NULLS FIRST,
  2;

-- customer_acquisition: Customer acquisition [customers]
--   New customer accounts per month (by created_at), first-time buyers per month (first completed order)
--   and the running customer count.
WITH signups AS (
  SELECT
    c.tenant_id,
    CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(c.created_at, 'UTC')) AS DATE) AS month,
    COUNT(*) AS new_customers
  FROM models_app_customer AS c
  GROUP BY
    1,
    2
), first_orders AS (
  SELECT
    o.tenant_id,
    o.customer_id,
    MIN(o.order_date) AS first_order_at
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
), first_buyers AS (
  SELECT
    f.tenant_id,
    CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(f.first_order_at, 'UTC')) AS DATE) AS month,
    COUNT(*) AS first_time_buyers
  FROM first_orders AS f
  GROUP BY
    1,
    2
)
SELECT
  tenant_id,
  month,
  COALESCE(s.new_customers, 0) AS new_customers,
  COALESCE(b.first_time_buyers, 0) AS first_time_buyers,
  SUM(COALESCE(s.new_customers, 0)) OVER (PARTITION BY tenant_id ORDER BY month) AS cumulative_customers
FROM signups AS s
FULL JOIN first_buyers AS b
  USING (tenant_id, month)
ORDER BY
  1,
  2;

-- customer_lifetime_value: Customer lifetime value [customers]
--   Historical value of the customers who bought (completed revenue per buyer), purchase frequency,
--   lifespan between first and last order, and the share of orders placed by the top 30% of buyers (the
--   plan expects about 70%).
WITH per_customer AS (
  SELECT
    o.tenant_id,
    o.customer_id,
    COUNT(*) AS orders,
    SUM(o.total) AS revenue,
    MIN(o.order_date) AS first_at,
    MAX(o.order_date) AS last_at
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
), ranked AS (
  SELECT
    pc.*,
    ROW_NUMBER() OVER (
      PARTITION BY pc.tenant_id
      ORDER BY pc.orders DESC NULLS FIRST, pc.revenue DESC NULLS FIRST, pc.customer_id
    ) AS rank_by_orders,
    COUNT(*) OVER (PARTITION BY pc.tenant_id) AS buyers
  FROM per_customer AS pc
), customers AS (
  SELECT
    c.tenant_id,
    COUNT(*) AS customers
  FROM models_app_customer AS c
  GROUP BY
    1
)
SELECT
  r.tenant_id,
  cu.customers,
  COUNT(*) AS buyers,
  ROUND(AVG(r.revenue), 2) AS avg_clv,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
        CAST(FLOOR(0.5 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        )) AS BIGINT) + 1
      ) + (
        0.5 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        ) - FLOOR(0.5 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
          CAST(CEIL(0.5 * (
            COUNT(CAST(r.revenue AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
          CAST(FLOOR(0.5 * (
            COUNT(CAST(r.revenue AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    2
  ) AS median_clv,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
        CAST(FLOOR(0.9 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        )) AS BIGINT) + 1
      ) + (
        0.9 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        ) - FLOOR(0.9 * (
          COUNT(CAST(r.revenue AS DOUBLE)) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
          CAST(CEIL(0.9 * (
            COUNT(CAST(r.revenue AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(r.revenue AS DOUBLE))),
          CAST(FLOOR(0.9 * (
            COUNT(CAST(r.revenue AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    2
  ) AS p90_clv,
  ROUND(AVG(r.orders), 2) AS orders_per_buyer,
  ROUND(
    CAST(AVG(
      CAST((
        TO_UNIXTIME(CAST(r.last_at AS TIMESTAMP)) - TO_UNIXTIME(CAST(r.first_at AS TIMESTAMP))
      ) AS DECIMAL(38, 10)) / 86400
    ) AS DECIMAL(38, 10)),
    1
  ) AS avg_lifespan_days,
  ROUND(CAST(SUM(r.revenue) AS DECIMAL(38, 10)) / NULLIF(cu.customers, 0), 2) AS revenue_per_customer,
  ROUND(
    CAST(SUM(r.orders) FILTER(WHERE
      r.rank_by_orders <= CEIL(0.3 * r.buyers)) AS DECIMAL(38, 10)) / SUM(r.orders),
    4
  ) AS top30_order_share
FROM ranked AS r
JOIN customers AS cu
  ON cu.tenant_id = r.tenant_id
GROUP BY
  1,
  2
ORDER BY
  1;

-- customer_retention_cohorts: Retention rates (monthly cohorts) [customers]
--   Customers grouped by the month of their first completed order; for each later month, the share of
--   the cohort that completed an order in that month.
WITH activity AS (
  SELECT DISTINCT
    o.tenant_id,
    o.customer_id,
    CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS month
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
), cohorts AS (
  SELECT
    a.tenant_id,
    a.customer_id,
    MIN(a.month) AS cohort_month
  FROM activity AS a
  GROUP BY
    1,
    2
), sizes AS (
  SELECT
    c.tenant_id,
    c.cohort_month,
    COUNT(*) AS cohort_size
  FROM cohorts AS c
  GROUP BY
    1,
    2
)
SELECT
  c.tenant_id,
  c.cohort_month,
  CAST((
    (
      EXTRACT(YEAR FROM a.month) - EXTRACT(YEAR FROM c.cohort_month)
    ) * 12 + EXTRACT(MONTH FROM a.month) - EXTRACT(MONTH FROM c.cohort_month)
  ) AS INTEGER) AS month_offset,
  s.cohort_size,
  COUNT(*) AS active_customers,
  ROUND(CAST(COUNT(*) AS DECIMAL(38, 10)) / s.cohort_size, 4) AS retention_rate
FROM cohorts AS c
JOIN activity AS a
  ON a.tenant_id = c.tenant_id AND a.customer_id = c.customer_id
JOIN sizes AS s
  ON s.tenant_id = c.tenant_id AND s.cohort_month = c.cohort_month
GROUP BY
  1,
  2,
  3,
  4
ORDER BY
  1,
  2,
  3;

-- customer_churn: Churn analysis [customers]
--   A buyer has churned when their last completed order is more than 90 days before the tenant's latest
--   completed order (the as-of date). Also the share of customer accounts flagged inactive.
WITH last_orders AS (
  SELECT
    o.tenant_id,
    o.customer_id,
    MAX(o.order_date) AS last_order_at
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
), as_of AS (
  SELECT
    l.tenant_id,
    MAX(l.last_order_at) AS as_of
  FROM last_orders AS l
  GROUP BY
    1
), accounts AS (
  SELECT
    c.tenant_id,
    COUNT(*) AS customers,
    COUNT(*) FILTER(WHERE
      NOT c.is_active) AS inactive_customers
  FROM models_app_customer AS c
  GROUP BY
    1
)
SELECT
  l.tenant_id,
  CAST((
    AT_TIMEZONE(a.as_of, 'UTC')
  ) AS DATE) AS as_of_date,
  90 AS window_days,
  COUNT(*) AS buyers,
  COUNT(*) FILTER(WHERE
    l.last_order_at > a.as_of - INTERVAL '90' DAY) AS active_buyers,
  COUNT(*) FILTER(WHERE
    l.last_order_at <= a.as_of - INTERVAL '90' DAY) AS churned_buyers,
  ROUND(
    CAST(COUNT(*) FILTER(WHERE
      l.last_order_at <= a.as_of - INTERVAL '90' DAY) AS DECIMAL(38, 10)) / COUNT(*),
    4
  ) AS churn_rate,
  ac.inactive_customers,
  ROUND(CAST(ac.inactive_customers AS DECIMAL(38, 10)) / NULLIF(ac.customers, 0), 4) AS inactive_share
FROM last_orders AS l
JOIN as_of AS a
  ON a.tenant_id = l.tenant_id
JOIN accounts AS ac
  ON ac.tenant_id = l.tenant_id
GROUP BY
  l.tenant_id,
  a.as_of,
  ac.inactive_customers,
  ac.customers
ORDER BY
  1;

-- best_selling_products: Best-selling products [products]
--   The ten products with the most units sold in completed orders, per tenant.
WITH sales AS (
  SELECT
    oi.tenant_id,
    oi.product_id,
    SUM(oi.quantity) AS units_sold,
    SUM(oi.total) AS revenue,
    COUNT(DISTINCT oi.order_id) AS orders
  FROM models_app_orderitem AS oi
  JOIN models_app_order AS o
    ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
), ranked AS (
  SELECT
    s.*,
    ROW_NUMBER() OVER (
      PARTITION BY s.tenant_id
      ORDER BY s.units_sold DESC NULLS FIRST, s.revenue DESC NULLS FIRST, s.product_id
    ) AS sales_rank
  FROM sales AS s
)
SELECT
  r.tenant_id,
  r.sales_rank,
  p.sku,
  p.name,
  p.category,
  r.units_sold,
  r.orders,
  r.revenue
FROM ranked AS r
JOIN models_app_product AS p
  ON p.tenant_id = r.tenant_id AND p.id = r.product_id
WHERE
  r.sales_rank <= 10
ORDER BY
  1,
  2;

-- inventory_turnover: Inventory turnover [products]
--   Per category, cost of goods sold over the order history, annualised, divided by the stock on hand at
--   cost; days_of_inventory is how long the current stock lasts at that pace.
WITH span AS (
  SELECT
    o.tenant_id,
    GREATEST(
      COALESCE(
        CAST((
          TO_UNIXTIME(CAST(MAX(o.order_date) AS TIMESTAMP)) - TO_UNIXTIME(CAST(MIN(o.order_date) AS TIMESTAMP))
        ) AS DECIMAL(38, 10)) / 86400,
        1
      ),
      COALESCE(
        1,
        CAST((
          TO_UNIXTIME(CAST(MAX(o.order_date) AS TIMESTAMP)) - TO_UNIXTIME(CAST(MIN(o.order_date) AS TIMESTAMP))
        ) AS DECIMAL(38, 10)) / 86400
      )
    ) AS days
  FROM models_app_order AS o
  WHERE
    o.status = 'completed'
  GROUP BY
    1
), sold AS (
  SELECT
    oi.tenant_id,
    oi.product_id,
    SUM(oi.quantity) AS units
  FROM models_app_orderitem AS oi
  JOIN models_app_order AS o
    ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
)
SELECT
  p.tenant_id,
  p.category,
  COUNT(*) AS products,
  COUNT(*) FILTER(WHERE
    p.stock_quantity <= 0) AS out_of_stock,
  SUM(p.stock_quantity) AS units_in_stock,
  SUM(p.stock_quantity * p.cost) AS inventory_value_at_cost,
  COALESCE(SUM(s.units * p.cost), 0) AS cogs,
  ROUND(
    CAST(CAST(COALESCE(SUM(s.units * p.cost), 0) * 365 AS DECIMAL(38, 10)) / sp.days AS DECIMAL(38, 10)) / NULLIF(SUM(p.stock_quantity * p.cost), 0),
    2
  ) AS annual_turnover,
  ROUND(
    CAST(SUM(p.stock_quantity * p.cost) AS DECIMAL(38, 10)) / NULLIF(CAST(COALESCE(SUM(s.units * p.cost), 0) AS DECIMAL(38, 10)) / sp.days, 0),
    1
  ) AS days_of_inventory
FROM models_app_product AS p
JOIN span AS sp
  ON sp.tenant_id = p.tenant_id
LEFT JOIN sold AS s
  ON s.tenant_id = p.tenant_id AND s.product_id = p.id
GROUP BY
  p.tenant_id,
  p.category,
  sp.days
ORDER BY
  1,
  2;

-- product_profitability: Product profitability [products]
--   The ten products with the highest gross profit (line totals minus units times current cost), their
--   margins, and how many products lose money after discounts.
WITH sales AS (
  SELECT
    oi.tenant_id,
    oi.product_id,
    SUM(oi.quantity) AS units_sold,
    SUM(oi.total) AS revenue
  FROM models_app_orderitem AS oi
  JOIN models_app_order AS o
    ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2
), profit AS (
  SELECT
    s.tenant_id,
    p.sku,
    p.name,
    p.category,
    p.price,
    p.cost,
    s.units_sold,
    s.revenue,
    s.units_sold * p.cost AS cogs,
    s.revenue - s.units_sold * p.cost AS gross_profit
  FROM sales AS s
  JOIN models_app_product AS p
    ON p.tenant_id = s.tenant_id AND p.id = s.product_id
), ranked AS (
  SELECT
    pr.*,
    ROW_NUMBER() OVER (PARTITION BY pr.tenant_id ORDER BY pr.gross_profit DESC NULLS FIRST, pr.sku) AS profit_rank,
    SUM(CASE WHEN pr.gross_profit < 0 THEN 1 ELSE 0 END) OVER (PARTITION BY pr.tenant_id) AS loss_making_products
  FROM profit AS pr
)
SELECT
  r.tenant_id,
  r.profit_rank,
  r.sku,
  r.name,
  r.category,
  r.units_sold,
  r.revenue,
  r.cogs,
  r.gross_profit,
  ROUND(CAST(r.gross_profit AS DECIMAL(38, 10)) / NULLIF(r.revenue, 0), 4) AS gross_margin,
  ROUND(CAST((
    r.price - r.cost
  ) AS DECIMAL(38, 10)) / r.price, 4) AS list_margin,
  r.loss_making_products
FROM ranked AS r
WHERE
  r.profit_rank <= 10
ORDER BY
  1,
  2;

-- category_trends: Category trends [products]
--   Monthly units and revenue per category, each category's share of the month and its month-over-month
--   change.
WITH monthly AS (
  SELECT
    oi.tenant_id,
    p.category,
    CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(o.order_date, 'UTC')) AS DATE) AS month,
    SUM(oi.quantity) AS units_sold,
    SUM(oi.total) AS revenue
  FROM models_app_orderitem AS oi
  JOIN models_app_order AS o
    ON o.tenant_id = oi.tenant_id AND o.id = oi.order_id
  JOIN models_app_product AS p
    ON p.tenant_id = oi.tenant_id AND p.id = oi.product_id
  WHERE
    o.status = 'completed'
  GROUP BY
    1,
    2,
    3
)
SELECT
  m.tenant_id,
  m.month,
  m.category,
  m.units_sold,
  m.revenue,
  ROUND(
    CAST(m.revenue AS DECIMAL(38, 10)) / NULLIF(SUM(m.revenue) OVER (PARTITION BY m.tenant_id, m.month), 0),
    4
  ) AS share_of_month,
  ROUND(
    CAST(m.revenue AS DECIMAL(38, 10)) / NULLIF(LAG(m.revenue) OVER (PARTITION BY m.tenant_id, m.category ORDER BY m.month), 0) - 1,
    4
  ) AS mom_growth
FROM monthly AS m
ORDER BY
  1,
  2,
  3;

-- conversion_funnel: Conversion funnel [behavior]
--   Distinct sessions that reached each step (page_view, product_view, add_to_cart, checkout, purchase)
--   and the conversion from the previous step and from the first.
WITH steps(step_no, step) AS (
  SELECT
    *
  FROM (VALUES
    (1, 'page_view'),
    (2, 'product_view'),
    (3, 'add_to_cart'),
    (4, 'checkout'),
    (5, 'purchase')) AS _values
), reached AS (
  SELECT
    e.tenant_id,
    e.event_type,
    COUNT(DISTINCT e.session_id) AS sessions
  FROM models_app_event AS e
  WHERE
    e.event_type IN ('page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase')
  GROUP BY
    1,
    2
), tenants AS (
  SELECT DISTINCT
    r.tenant_id
  FROM reached AS r
), funnel AS (
  SELECT
    t.tenant_id,
    s.step_no,
    s.step,
    COALESCE(r.sessions, 0) AS sessions
  FROM tenants AS t
  CROSS JOIN steps AS s
  LEFT JOIN reached AS r
    ON r.tenant_id = t.tenant_id AND r.event_type = s.step
)
SELECT
  f.tenant_id,
  f.step_no,
  f.step,
  f.sessions,
  ROUND(
    CAST(f.sessions AS DECIMAL(38, 10)) / NULLIF(LAG(f.sessions) OVER (PARTITION BY f.tenant_id ORDER BY f.step_no), 0),
    4
  ) AS conversion_from_previous,
  ROUND(
    CAST(f.sessions AS DECIMAL(38, 10)) / NULLIF(FIRST_VALUE(f.sessions) OVER (PARTITION BY f.tenant_id ORDER BY f.step_no), 0),
    4
  ) AS conversion_from_start
FROM funnel AS f
ORDER BY
  1,
  2;

-- session_duration_trends: Session duration trends [behavior]
--   Per week of session start, the number of sessions, mean and median duration (first to last event),
--   events per session and the bounce rate (sessions with a single event).
WITH sessions AS (
  SELECT
    e.tenant_id,
    e.session_id,
    MIN(e.created_at) AS started_at,
    COUNT(*) AS events,
    CAST((
      TO_UNIXTIME(CAST(MAX(e.created_at) AS TIMESTAMP)) - TO_UNIXTIME(CAST(MIN(e.created_at) AS TIMESTAMP))
    ) AS DOUBLE) AS duration_s
  FROM models_app_event AS e
  GROUP BY
    1,
    2
)
SELECT
  s.tenant_id,
  CAST(DATE_TRUNC('WEEK', AT_TIMEZONE(s.started_at, 'UTC')) AS DATE) AS week,
  COUNT(*) AS sessions,
  ROUND(CAST(AVG(s.duration_s) AS DECIMAL(38, 10)), 1) AS avg_duration_s,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(s.duration_s)),
        CAST(FLOOR(0.5 * (
          COUNT(s.duration_s) - 1
        )) AS BIGINT) + 1
      ) + (
        0.5 * (
          COUNT(s.duration_s) - 1
        ) - FLOOR(0.5 * (
          COUNT(s.duration_s) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(s.duration_s)),
          CAST(CEIL(0.5 * (
            COUNT(s.duration_s) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(s.duration_s)),
          CAST(FLOOR(0.5 * (
            COUNT(s.duration_s) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    1
  ) AS median_duration_s,
  ROUND(AVG(s.events), 2) AS events_per_session,
  ROUND(CAST(COUNT(*) FILTER(WHERE
    s.events = 1) AS DECIMAL(38, 10)) / COUNT(*), 4) AS bounce_rate
FROM sessions AS s
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- cart_abandonment: Cart abandonment rates [behavior]
--   Per month of the first add_to_cart, the sessions that filled a cart, reached checkout and purchased;
--   cart abandonment is the share of cart sessions without a purchase, checkout abandonment the share of
--   checkout sessions without one.
WITH carts AS (
  SELECT
    e.tenant_id,
    e.session_id,
    MIN(e.created_at) FILTER(WHERE
      e.event_type = 'add_to_cart') AS carted_at,
    BOOL_OR(e.event_type = 'checkout') AS checked_out,
    BOOL_OR(e.event_type = 'purchase') AS purchased
  FROM models_app_event AS e
  WHERE
    e.event_type IN ('add_to_cart', 'checkout', 'purchase')
  GROUP BY
    1,
    2
)
SELECT
  c.tenant_id,
  CAST(DATE_TRUNC('MONTH', AT_TIMEZONE(c.carted_at, 'UTC')) AS DATE) AS month,
  COUNT(*) AS cart_sessions,
  COUNT(*) FILTER(WHERE
    c.checked_out) AS checkout_sessions,
  COUNT(*) FILTER(WHERE
    c.purchased) AS purchase_sessions,
  ROUND(1 - CAST(COUNT(*) FILTER(WHERE
    c.purchased) AS DECIMAL(38, 10)) / COUNT(*), 4) AS cart_abandonment_rate,
  ROUND(
    1 - CAST(COUNT(*) FILTER(WHERE
      c.checked_out AND c.purchased) AS DECIMAL(38, 10)) / NULLIF(COUNT(*) FILTER(WHERE
      c.checked_out), 0),
    4
  ) AS checkout_abandonment_rate
FROM carts AS c
WHERE
  c.carted_at IS NOT NULL
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- engagement_score: User engagement scores [behavior]
--   Score from 0 to 100 per signed-in customer over the 30 days ending at the tenant's latest event: 40
--   points for frequency (distinct active days, full at 10), 40 for depth (weighted actions, full at 50
--   points: purchase 10, checkout 6, add_to_cart 4, product_view 2, search 2, other events 1) and 20 for
--   having purchased. Bands: high >= 60, medium 30-60, low < 30.
WITH as_of AS (
  SELECT
    e.tenant_id,
    MAX(e.created_at) AS as_of
  FROM models_app_event AS e
  GROUP BY
    1
), activity AS (
  SELECT
    e.tenant_id,
    e.customer_id,
    COUNT(DISTINCT CAST((
      AT_TIMEZONE(e.created_at, 'UTC')
    ) AS DATE)) AS active_days,
    SUM(
      CASE e.event_type
        WHEN 'purchase'
        THEN 10
        WHEN 'checkout'
        THEN 6
        WHEN 'add_to_cart'
        THEN 4
        WHEN 'product_view'
        THEN 2
        WHEN 'search'
        THEN 2
        ELSE 1
      END
    ) AS points,
    BOOL_OR(e.event_type = 'purchase') AS purchased
  FROM models_app_event AS e
  JOIN as_of AS a
    ON a.tenant_id = e.tenant_id
  WHERE
    e.customer_id IS NOT NULL AND e.created_at > a.as_of - INTERVAL '30' DAY
  GROUP BY
    1,
    2
), scored AS (
  SELECT
    a.tenant_id,
    a.customer_id,
    CAST(40 * LEAST(COALESCE(a.active_days, 10), COALESCE(10, a.active_days)) AS DECIMAL(38, 10)) / 10.0 + CAST(40 * LEAST(COALESCE(a.points, 50), COALESCE(50, a.points)) AS DECIMAL(38, 10)) / 50.0 + CASE WHEN a.purchased THEN 20 ELSE 0 END AS score
  FROM activity AS a
), accounts AS (
  SELECT
    c.tenant_id,
    COUNT(*) FILTER(WHERE
      c.is_active) AS active_customers
  FROM models_app_customer AS c
  GROUP BY
    1
)
SELECT
  s.tenant_id,
  COUNT(*) AS customers_scored,
  ROUND(CAST(COUNT(*) AS DECIMAL(38, 10)) / NULLIF(ac.active_customers, 0), 4) AS engaged_share,
  ROUND(AVG(s.score), 1) AS avg_score,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
        CAST(FLOOR(0.5 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        )) AS BIGINT) + 1
      ) + (
        0.5 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        ) - FLOOR(0.5 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
          CAST(CEIL(0.5 * (
            COUNT(CAST(s.score AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
          CAST(FLOOR(0.5 * (
            COUNT(CAST(s.score AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    1
  ) AS median_score,
  ROUND(
    CAST((
      ELEMENT_AT(
        ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
        CAST(FLOOR(0.9 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        )) AS BIGINT) + 1
      ) + (
        0.9 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        ) - FLOOR(0.9 * (
          COUNT(CAST(s.score AS DOUBLE)) - 1
        ))
      ) * (
        ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
          CAST(CEIL(0.9 * (
            COUNT(CAST(s.score AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        ) - ELEMENT_AT(
          ARRAY_SORT(ARRAY_AGG(CAST(s.score AS DOUBLE))),
          CAST(FLOOR(0.9 * (
            COUNT(CAST(s.score AS DOUBLE)) - 1
          )) AS BIGINT) + 1
        )
      )
    ) AS DECIMAL(38, 10)),
    1
  ) AS p90_score,
  COUNT(*) FILTER(WHERE
    s.score >= 60) AS high,
  COUNT(*) FILTER(WHERE
    s.score >= 30 AND s.score < 60) AS medium,
  COUNT(*) FILTER(WHERE
    s.score < 30) AS low
FROM scored AS s
LEFT JOIN accounts AS ac
  ON ac.tenant_id = s.tenant_id
GROUP BY
  s.tenant_id,
  ac.active_customers
ORDER BY
  1;

-- mrr: MRR (monthly recurring revenue) [subscriptions]
--   The monthly amounts of the subscriptions whose status is active (yearly plans carry their monthly
--   equivalent), ARR, revenue per active subscription, and the trial pipeline.
SELECT
  s.tenant_id,
  COUNT(*) FILTER(WHERE
    s.status = 'active') AS active_subscriptions,
  COALESCE(SUM(s.monthly_amount) FILTER(WHERE
    s.status = 'active'), 0) AS mrr,
  12 * COALESCE(SUM(s.monthly_amount) FILTER(WHERE
    s.status = 'active'), 0) AS arr,
  ROUND(AVG(s.monthly_amount) FILTER(WHERE
    s.status = 'active'), 2) AS revenue_per_subscription,
  COUNT(*) FILTER(WHERE
    s.status = 'active' AND s.billing_cycle = 'yearly') AS yearly_active,
  COUNT(*) FILTER(WHERE
    s.status = 'trial') AS trials,
  COALESCE(SUM(s.monthly_amount) FILTER(WHERE
    s.status = 'trial'), 0) AS trial_pipeline_mrr
FROM models_app_subscription AS s
GROUP BY
  1
ORDER BY
  1;

-- subscription_churn: Subscription churn [subscriptions]
--   Per month, the paying subscriptions (not trials) active on the first day, those among them that
--   ended (cancelled or expired) during the month, the churn rate and the MRR lost, plus new
--   subscriptions started.
WITH subs AS (
  SELECT
    s.tenant_id,
    s.start_date,
    s.end_date,
    s.status,
    s.monthly_amount
  FROM models_app_subscription AS s
  WHERE
    s.status <> 'trial'
), bounds AS (
  SELECT
    b.tenant_id,
    MIN(b.start_date) AS first_day,
    GREATEST(
      COALESCE(MAX(b.start_date), MAX(b.end_date)),
      COALESCE(MAX(b.end_date), MAX(b.start_date))
    ) AS last_day
  FROM subs AS b
  GROUP BY
    1
), months AS (
  SELECT
    b.tenant_id,
    CAST(g AS DATE) AS month
  FROM bounds AS b
  CROSS JOIN UNNEST(SEQUENCE(
    DATE_TRUNC('MONTH', CAST(b.first_day AS TIMESTAMP)),
    DATE_TRUNC('MONTH', CAST(b.last_day AS TIMESTAMP)),
    INTERVAL '1' MONTH
  )) AS _u(g)
), flags AS (
  SELECT
    m.tenant_id,
    m.month,
    s.monthly_amount,
    (
      s.start_date < m.month AND (
        s.end_date IS NULL OR s.end_date >= m.month
      )
    ) AS active_at_start,
    (
      s.start_date < m.month
      AND s.end_date >= m.month
      AND s.end_date < CAST((
        m.month + INTERVAL '1' MONTH
      ) AS DATE)
      AND s.status IN ('cancelled', 'expired')
    ) AS churned,
    (
      s.start_date >= m.month
      AND s.start_date < CAST((
        m.month + INTERVAL '1' MONTH
      ) AS DATE)
    ) AS started
  FROM months AS m
  JOIN subs AS s
    ON s.tenant_id = m.tenant_id
)
SELECT
  f.tenant_id,
  f.month,
  COUNT(*) FILTER(WHERE
    f.active_at_start) AS active_at_start,
  COUNT(*) FILTER(WHERE
    f.started) AS new_subscriptions,
  COUNT(*) FILTER(WHERE
    f.churned) AS churned,
  ROUND(
    CAST(COUNT(*) FILTER(WHERE
      f.churned) AS DECIMAL(38, 10)) / NULLIF(COUNT(*) FILTER(WHERE
      f.active_at_start), 0),
    4
  ) AS churn_rate,
  COALESCE(SUM(f.monthly_amount) FILTER(WHERE
    f.churned), 0) AS churned_mrr
FROM flags AS f
GROUP BY
  1,
  2
ORDER BY
  1,
  2;

-- plan_distribution: Plan distribution [subscriptions]
--   Subscriptions per plan and billing cycle by status, each plan's share of active subscriptions and
--   its MRR.
SELECT
  s.tenant_id,
  s.plan_name,
  s.billing_cycle,
  COUNT(*) AS subscriptions,
  COUNT(*) FILTER(WHERE
    s.status = 'active') AS active,
  COUNT(*) FILTER(WHERE
    s.status = 'trial') AS trial,
  COUNT(*) FILTER(WHERE
    s.status IN ('cancelled', 'expired')) AS ended,
  ROUND(
    CAST(COUNT(*) FILTER(WHERE
      s.status = 'active') AS DECIMAL(38, 10)) / NULLIF(
      SUM(COUNT(*) FILTER(WHERE
        s.status = 'active')) OVER (PARTITION BY s.tenant_id),
      0
    ),
    4
  ) AS share_of_active,
  COALESCE(SUM(s.monthly_amount) FILTER(WHERE
    s.status = 'active'), 0) AS active_mrr
FROM models_app_subscription AS s
GROUP BY
  1,
  2,
  3
ORDER BY
  1,
  2,
  3;

-- payment_success_rate: Payment success rates [subscriptions]
--   Per month of issue, invoices that were sent to the customer (sent, paid or overdue; drafts and
--   cancelled ones excluded), the share paid, the share paid by the due date, and the amounts paid and
--   overdue.
SELECT
  i.tenant_id,
  CAST(DATE_TRUNC('MONTH', CAST(i.issue_date AS TIMESTAMP)) AS DATE) AS month,
  COUNT(*) FILTER(WHERE
    i.status IN ('sent', 'paid', 'overdue')) AS collectible_invoices,
  COUNT(*) FILTER(WHERE
    i.status = 'paid') AS paid,
  COUNT(*) FILTER(WHERE
    i.status = 'overdue') AS overdue,
  ROUND(
    CAST(COUNT(*) FILTER(WHERE
      i.status = 'paid') AS DECIMAL(38, 10)) / NULLIF(COUNT(*) FILTER(WHERE
      i.status IN ('sent', 'paid', 'overdue')), 0),
    4
  ) AS payment_success_rate,
  ROUND(
    CAST(COUNT(*) FILTER(WHERE
      i.status = 'paid' AND i.paid_date <= i.due_date) AS DECIMAL(38, 10)) / NULLIF(COUNT(*) FILTER(WHERE
      i.status IN ('sent', 'paid', 'overdue')), 0),
    4
  ) AS on_time_rate,
  COALESCE(SUM(i.amount) FILTER(WHERE
    i.status = 'paid'), 0) AS amount_paid,
  COALESCE(SUM(i.amount) FILTER(WHERE
    i.status = 'overdue'), 0) AS amount_overdue
FROM models_app_invoice AS i
GROUP BY
  1,
  2
ORDER BY
  1,
  2;
