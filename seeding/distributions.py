"""Every distribution the seeder draws from, and every parameter of it, in one place.

docs/REQUIREMENTS.md states volumes, tenant profiles and realism targets; this
module turns each of them into a named, documented constant plus the small numpy samplers
that use them. Generators (``seeding/generators``) import from here and hard-code nothing;
``seed_report`` and the tests compare measured figures against the same constants, so a
change here moves generator, report and assertions together. docs/DATA_GENERATION.md
explains how each value was chosen.

All times are integer milliseconds since the Unix epoch (UTC); money is integer cents.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

MS_PER_SECOND = 1_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000

# ---------------------------------------------------------------------------------------
# Scales and tenant profiles (REQUIREMENTS.md: Volumes, Tenant profiles)
# ---------------------------------------------------------------------------------------

#: Volume multiplier per ``--scale``. ``medium`` is the required volume reached through
#: the tenant profiles; ``small`` is a tenth (~100k rows, the "100K records" success criterion);
#: ``large`` is ten times medium.
SCALES: dict[str, float] = {"small": 0.1, "medium": 1.0, "large": 10.0}

#: Catalogue multiplier per scale. A tenth of a 50-product shop is 5 products, too few for
#: categories, popularity and out-of-stock to mean anything, so small catalogues shrink less.
CATALOG_SCALES: dict[str, float] = {"small": 0.3, "medium": 1.0, "large": 10.0}

#: Lower bounds that keep tiny tenants meaningful at ``small`` scale.
MIN_CUSTOMERS = 20
MIN_PRODUCTS = 15
MIN_ORDERS = 50


@dataclass(frozen=True)
class Profile:
    """One tenant profile (docs/REQUIREMENTS.md). Ranges are inclusive; a tenant draws uniformly inside them."""

    key: str
    label: str
    customers: tuple[int, int]
    products: tuple[int, int]
    orders: tuple[int, int]
    #: Events per order: "high / medium / low-medium event volume" made concrete so that the
    #: medium world lands on the required ~750k events for ~70k orders.
    events_per_order: float
    #: Subscriptions per customer (required: 2k-5k subscriptions for 5k-10k customers).
    subscriptions_per_customer: float
    #: Target average order value range in dollars (required: $50-$200 per tenant).
    aov: tuple[float, float]


PROFILES: dict[str, Profile] = {
    "enterprise": Profile("enterprise", "Enterprise", (2000, 2500), (200, 250), (20000, 22000),
                          10.8, 0.50, (110.0, 180.0)),
    "mid_market": Profile("mid_market", "Mid-Market", (500, 1000), (100, 150), (5000, 10000),
                          10.4, 0.46, (75.0, 150.0)),
    "small_business": Profile("small_business", "Small Business", (100, 300), (50, 80), (1000, 3000),
                              10.0, 0.42, (55.0, 110.0)),
}

#: Profiles of the default world, in tenant order: 2 enterprise, 3 mid-market and 4 small
#: tenants (the profiles allow 3-5 small; the volumes ask for 8-10 tenants). ``--tenants N`` takes the
#: first N entries, then continues with :data:`EXTRA_TENANT_CYCLE`.
DEFAULT_COMPOSITION: tuple[str, ...] = (
    "enterprise", "mid_market", "small_business", "enterprise", "mid_market",
    "small_business", "mid_market", "small_business", "small_business",
)
EXTRA_TENANT_CYCLE: tuple[str, ...] = ("small_business", "mid_market", "small_business", "enterprise")
DEFAULT_TENANTS = len(DEFAULT_COMPOSITION)
MAX_TENANTS = 200


def composition(n_tenants: int) -> list[str]:
    """Profile keys for ``n_tenants`` tenants (see :data:`DEFAULT_COMPOSITION`)."""
    keys = list(DEFAULT_COMPOSITION[:n_tenants])
    i = 0
    while len(keys) < n_tenants:
        keys.append(EXTRA_TENANT_CYCLE[i % len(EXTRA_TENANT_CYCLE)])
        i += 1
    return keys


#: Tenant ``settings`` JSON: plan type and features per profile.
TENANT_PLAN_FEATURES: dict[str, list[str]] = {
    "enterprise": ["sso", "audit_log", "custom_domain", "priority_support", "api"],
    "mid_market": ["custom_domain", "api", "analytics"],
    "small_business": ["analytics"],
}
#: A tenant existed this many days (uniform) before the history window starts.
TENANT_AGE_DAYS = (400, 1500)

# ---------------------------------------------------------------------------------------
# Time (REQUIREMENTS.md: Time distribution)
# ---------------------------------------------------------------------------------------

DEFAULT_DAYS = 180

#: The window split into bands, oldest first: (fraction of the window, share of activity).
#: With 180 days: month 6 holds 10%, months 4-5 hold 30%, the last 3 months hold 60%.
PERIOD_BANDS: tuple[tuple[float, float], ...] = ((1 / 6, 0.10), (2 / 6, 0.30), (3 / 6, 0.60))
PERIOD_BAND_LABELS: tuple[str, ...] = ("month 6", "months 4-5", "months 1-3")

#: Relative daily volume Monday..Sunday: weekends are 25% busier than weekdays (a B2C shop).
WEEKDAY_FACTORS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.25, 1.25)
WEEKEND_RATIO = WEEKDAY_FACTORS[5] / WEEKDAY_FACTORS[0]

#: The last MONTH_END_DAYS days of each calendar month are MONTH_END_UPLIFT times busier
#: (pay-day shopping).
MONTH_END_DAYS = 3
MONTH_END_UPLIFT = 1.4

#: Growth inside a band: the band's last day is this much busier than its first (linear),
#: on top of the step-wise growth the band shares already give.
WITHIN_BAND_GROWTH = 0.15

#: Hour-of-day weights (UTC), 00..23: quiet nights, lunch bump, evening peak.
HOUR_WEIGHTS: tuple[float, ...] = (
    0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.0, 1.4, 1.6, 1.7, 1.8,
    2.0, 1.9, 1.7, 1.6, 1.6, 1.8, 2.1, 2.4, 2.6, 2.4, 1.8, 1.0,
)


@dataclass(frozen=True)
class Window:
    """The history window ``[start_ms, end_ms)``, whole UTC days."""

    start: dt.date
    days: int

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days)

    @property
    def start_ms(self) -> int:
        return date_ms(self.start)

    @property
    def end_ms(self) -> int:
        return date_ms(self.end)


def date_ms(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * MS_PER_DAY


def band_of_day(day_index: np.ndarray, days: int) -> np.ndarray:
    """Band number (0 = oldest) of each day offset in a window of ``days`` days."""
    bounds = np.round(np.cumsum([f for f, _ in PERIOD_BANDS]) * days).astype(int)
    return np.searchsorted(bounds, day_index, side="right")


def is_month_end(dates: np.ndarray) -> np.ndarray:
    """True for the last :data:`MONTH_END_DAYS` days of their calendar month."""
    d = dates.astype("datetime64[D]")
    next_month = (d.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return (next_month - d).astype(int) <= MONTH_END_DAYS


def day_weights(window: Window) -> np.ndarray:
    """Probability of each day of the window holding an activity (sums to 1).

    Each band keeps its exact share; inside a band, days are weighted by weekday, month-end
    and the within-band growth ramp.
    """
    idx = np.arange(window.days)
    dates = np.datetime64(window.start, "D") + idx
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    factor = np.asarray(WEEKDAY_FACTORS)[weekday] * np.where(is_month_end(dates), MONTH_END_UPLIFT, 1.0)
    band = band_of_day(idx, window.days)
    weights = np.zeros(window.days)
    for b, (_, share) in enumerate(PERIOD_BANDS):
        members = np.flatnonzero(band == b)
        if members.size == 0:
            continue
        ramp = 1.0 + WITHIN_BAND_GROWTH * np.linspace(0.0, 1.0, members.size)
        f = factor[members] * ramp
        weights[members] = share * f / f.sum()
    return weights / weights.sum()


def sample_times(rng: np.random.Generator, n: int, window: Window) -> np.ndarray:
    """``n`` activity timestamps (ms) following the required time shape, unsorted."""
    day = rng.choice(window.days, size=n, p=day_weights(window))
    hours = np.asarray(HOUR_WEIGHTS)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    within = rng.integers(0, MS_PER_HOUR, size=n)
    return window.start_ms + day.astype(np.int64) * MS_PER_DAY + hour.astype(np.int64) * MS_PER_HOUR + within


def sample_before(rng: np.random.Generator, n: int, window: Window, max_days: int) -> np.ndarray:
    """``n`` timestamps uniformly in the ``max_days`` days before the window."""
    return window.start_ms - rng.integers(1, max_days * MS_PER_DAY, size=n)


# ---------------------------------------------------------------------------------------
# Customers (REQUIREMENTS.md: Realism)
# ---------------------------------------------------------------------------------------

#: Share of a tenant's customers who signed up before the window (the existing base);
#: the rest sign up during the window following the required time shape.
PREEXISTING_CUSTOMER_SHARE = 0.40
PREEXISTING_CUSTOMER_MAX_DAYS = 730

#: Repeat buying: the top 30% of customers place 70% of orders (REQUIREMENTS.md: Realism).
REPEAT_TOP_CUSTOMER_SHARE = 0.30
REPEAT_TOP_ORDER_SHARE = 0.70
#: Share of ordering weight given to the loyal 30%. It is below 0.70 because unequal
#: exposure (late sign-ups, churn) and chance already concentrate orders; calibrated so
#: that the *measured* top-30% share is 0.70 (docs/DATA_GENERATION.md).
LOYAL_WEIGHT_MASS = 0.58
#: Lognormal jitter (sigma) on every customer's ordering weight.
CUSTOMER_WEIGHT_SIGMA = 0.35

#: Lifecycle new -> active -> churned. A share of customers churns at a uniform moment
#: between sign-up and the end of the window and places no order afterwards.
CHURN_SHARE = 0.25
#: Stage at the end of the window: "new" if signed up in the last NEW_CUSTOMER_DAYS days,
#: "churned" if churned (or no order for CHURN_INACTIVE_DAYS days), otherwise "active".
NEW_CUSTOMER_DAYS = 30
CHURN_INACTIVE_DAYS = 90
#: Churned customers whose account is closed (``is_active = false``).
CLOSED_SHARE_OF_CHURNED = 0.4
#: Minimum gap between sign-up and a customer's first order.
FIRST_ORDER_MIN_MS = MS_PER_HOUR

PHONE_MISSING_SHARE = 0.12
EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.42), ("yahoo.com", 0.14), ("outlook.com", 0.12), ("hotmail.com", 0.09),
    ("icloud.com", 0.09), ("aol.com", 0.03), ("protonmail.com", 0.03), ("company", 0.08),
)
AGE_GROUPS: tuple[tuple[str, float], ...] = (
    ("18-24", 0.14), ("25-34", 0.28), ("35-44", 0.23), ("45-54", 0.17), ("55-64", 0.11), ("65+", 0.07),
)
GENDERS: tuple[tuple[str, float], ...] = (("female", 0.51), ("male", 0.46), ("undisclosed", 0.03))
ACQUISITION_CHANNELS: tuple[tuple[str, float], ...] = (
    ("organic_search", 0.30), ("paid_search", 0.22), ("social", 0.18), ("referral", 0.12),
    ("email", 0.10), ("direct", 0.08),
)
CONTACT_PREFERENCES: tuple[tuple[str, float], ...] = (("email", 0.6), ("sms", 0.15), ("none", 0.25))
NEWSLETTER_SHARE = 0.45

# ---------------------------------------------------------------------------------------
# Products (REQUIREMENTS.md: Realism)
# ---------------------------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = ("Electronics", "Clothing", "Home", "Books", "Sports")
#: Catalogue share per category; each tenant perturbs it with a Dirichlet of this concentration.
CATEGORY_SHARES: tuple[float, ...] = (0.22, 0.26, 0.20, 0.16, 0.16)
CATEGORY_CONCENTRATION = 25.0


@dataclass(frozen=True)
class PriceRange:
    """Lognormal price around ``median`` (sigma ``sigma``), clipped to ``[low, high]`` dollars."""

    low: float
    high: float
    median: float
    sigma: float


#: Category-appropriate prices, all inside the plan's $5-$2,000.
PRICE_RANGES: dict[str, PriceRange] = {
    "Electronics": PriceRange(25.0, 2000.0, 160.0, 0.9),
    "Clothing": PriceRange(8.0, 300.0, 40.0, 0.6),
    "Home": PriceRange(10.0, 900.0, 55.0, 0.8),
    "Books": PriceRange(5.0, 90.0, 17.0, 0.45),
    "Sports": PriceRange(10.0, 700.0, 50.0, 0.8),
}
PRICE_FLOOR, PRICE_CEILING = 5.0, 2000.0
#: Cost as a fraction of price (uniform): cost < price always.
COST_RATIO = (0.35, 0.78)
#: Stock: out of stock with this probability, otherwise lognormal(median, sigma) units.
OUT_OF_STOCK_SHARE = 0.05
STOCK_MEDIAN, STOCK_SIGMA = 120.0, 0.9
INACTIVE_PRODUCT_SHARE = 0.04
#: Catalogue launched before the window (up to PREEXISTING_PRODUCT_MAX_DAYS days before).
PREEXISTING_PRODUCT_SHARE = 0.80
PREEXISTING_PRODUCT_MAX_DAYS = 540
#: Popularity: Zipf-like rank weight rank**-POPULARITY_ZIPF, times price**-alpha where alpha
#: is solved per tenant so that the expected order value meets the tenant's AOV target.
POPULARITY_ZIPF = 0.8
PRICE_ELASTICITY_BOUNDS = (-1.0, 4.0)

# ---------------------------------------------------------------------------------------
# Orders and items (REQUIREMENTS.md: Realism)
# ---------------------------------------------------------------------------------------

ORDER_STATUS_MIX: dict[str, float] = {"completed": 0.80, "processing": 0.10, "cancelled": 0.05, "pending": 0.05}
#: Pending and processing orders are drawn with weight exp(-age / tau): recent orders are far
#: more likely to be still open.
PENDING_RECENCY_DAYS = 4.0
PROCESSING_RECENCY_DAYS = 9.0
#: Items per order: 1 + Poisson(ITEMS_EXTRA_MEAN), at most MAX_ITEMS_PER_ORDER (mean ~3).
ITEMS_EXTRA_MEAN = 2.05
MAX_ITEMS_PER_ORDER = 10
#: Quantity per line.
QUANTITY_PROBS: tuple[tuple[int, float], ...] = ((1, 0.76), (2, 0.17), (3, 0.05), (4, 0.02))
#: Share of lines with a discount, and the discount as a fraction of the line.
DISCOUNT_LINE_SHARE = 0.15
DISCOUNT_FRACTION = (0.05, 0.30)
#: Tenant tax rate (one per tenant) and shipping policy.
TAX_RATES: tuple[float, ...] = (0.0, 0.05, 0.06, 0.07, 0.0825, 0.0925)
SHIPPING_FEES_CENTS: tuple[int, ...] = (499, 599, 799, 999)
FREE_SHIPPING_THRESHOLDS_CENTS: tuple[int, ...] = (5000, 7500, 10000)
#: Lags after ``order_date``, lognormal (median hours, sigma).
FULFILMENT_HOURS = (40.0, 0.6)
PROCESSING_HOURS = (3.0, 0.8)
CANCEL_HOURS = (10.0, 1.0)
PAYMENT_METHODS: tuple[tuple[str, float], ...] = (
    ("credit_card", 0.55), ("paypal", 0.20), ("debit_card", 0.12), ("apple_pay", 0.08), ("gift_card", 0.05),
)
#: Channel of orders without a tracked web session (web orders come from purchase events).
UNTRACKED_CHANNELS: tuple[tuple[str, float], ...] = (("mobile_app", 0.55), ("marketplace", 0.25), ("phone", 0.20))

# ---------------------------------------------------------------------------------------
# Events and sessions (REQUIREMENTS.md: Realism)
# ---------------------------------------------------------------------------------------

FUNNEL_STEPS: tuple[str, ...] = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")
#: P(session reaches step k | it reached step k-1), for product_view..purchase.
FUNNEL_CONTINUE: tuple[float, ...] = (0.62, 0.38, 0.55, 0.62)
#: Sessions that stop at page_view: this share are single-event bounces.
BOUNCE_SHARE_OF_BROWSE = 0.8
#: Extra page views (geometric mean) in non-bounce sessions.
EXTRA_PAGE_VIEWS_MEAN = 0.8
#: product_view events per non-purchase session that reached it: 1 + Poisson(mean).
EXTRA_PRODUCT_VIEWS_MEAN = 1.4
SEARCH_SHARE = 0.35
CLICKS_MEAN = 0.6
EXTRA_CART_ADDS_MEAN = 0.4
REMOVE_FROM_CART_SHARE = 0.15
#: Share of non-purchase sessions that are logged in, by furthest step 1..4
#: (purchase sessions are always authenticated: the buyer is the order's customer).
AUTHENTICATED_SHARE: tuple[float, ...] = (0.12, 0.28, 0.5, 0.75)
#: Session duration by furthest step 2..5: lognormal (median seconds, sigma); a bounce lasts 0 s.
SESSION_SECONDS: tuple[tuple[float, float], ...] = ((150.0, 0.7), (420.0, 0.6), (600.0, 0.5), (720.0, 0.5))
SESSION_SECONDS_MAX = 3 * 3600
DEVICE_SHARES: tuple[tuple[str, float], ...] = (("mobile", 0.58), ("desktop", 0.36), ("tablet", 0.06))
REFERRERS: tuple[tuple[str, float], ...] = (
    ("google", 0.38), ("direct", 0.25), ("facebook", 0.1), ("instagram", 0.09), ("email", 0.1), ("bing", 0.08),
)
CLICK_ELEMENTS: tuple[str, ...] = ("banner", "recommendation", "nav_menu", "footer_link", "promo_tile")
#: Pages a page_view can land on (besides product pages).
PAGES: tuple[str, ...] = ("/", "/deals", "/new", "/bestsellers", "/category/electronics", "/category/clothing",
                          "/category/home", "/category/books", "/category/sports", "/account", "/help")


def funnel_stage_shares() -> np.ndarray:
    """P(a session's furthest step is k), k = 1..5 (page_view .. purchase)."""
    reach = np.cumprod([1.0, *FUNNEL_CONTINUE])
    stop = np.append(1.0 - np.asarray(FUNNEL_CONTINUE), 1.0)
    return reach * stop


def session_conversion() -> float:
    """Share of sessions that end with a purchase."""
    return float(np.prod(FUNNEL_CONTINUE))


def expected_events_per_session(items_per_order: float) -> tuple[float, float]:
    """Mean event count of a (non-purchase, purchase) session, for sizing the session count."""
    shares = funnel_stage_shares()[:4]
    shares = shares / shares.sum()
    browse = BOUNCE_SHARE_OF_BROWSE + (1 - BOUNCE_SHARE_OF_BROWSE) * (2 + EXTRA_PAGE_VIEWS_MEAN)
    deeper = 1 + EXTRA_PAGE_VIEWS_MEAN + SEARCH_SHARE + CLICKS_MEAN
    per_stage = [
        browse,
        deeper + 1 + EXTRA_PRODUCT_VIEWS_MEAN,
        deeper + 1 + EXTRA_PRODUCT_VIEWS_MEAN + 1 + EXTRA_CART_ADDS_MEAN + REMOVE_FROM_CART_SHARE,
        deeper + 1 + EXTRA_PRODUCT_VIEWS_MEAN + 1 + EXTRA_CART_ADDS_MEAN + REMOVE_FROM_CART_SHARE + 1,
    ]
    non_purchase = float(np.dot(shares, per_stage))
    purchase = deeper + 2 * items_per_order + 2
    return non_purchase, purchase


# ---------------------------------------------------------------------------------------
# Subscriptions and invoices (REQUIREMENTS.md: Volumes, Metrics the data must support)
# ---------------------------------------------------------------------------------------

#: (plan name, monthly list price in cents, share of subscriptions).
SUBSCRIPTION_PLANS: tuple[tuple[str, int, float], ...] = (
    ("Basic", 999, 0.50), ("Plus", 1999, 0.30), ("Premium", 4999, 0.15), ("Business", 9900, 0.05),
)
YEARLY_SHARE = 0.15
#: Yearly plans bill 12 x a discounted monthly amount once a year.
YEARLY_DISCOUNT = 0.17
TRIAL_DAYS = 14
#: Trials that convert into paid subscriptions; the rest expire when the trial ends.
TRIAL_CONVERSION = 0.85
#: Subscribers are drawn with weight = customer tenure, capped at this many days.
SUBSCRIBER_TENURE_CAP_DAYS = 365
#: Days from sign-up to subscribing: exponential with this mean.
SUBSCRIBE_LAG_DAYS = 25.0
#: Share of the existing customer base's subscriptions started before the window (up to
#: PREEXISTING_SUBSCRIPTION_MAX_DAYS earlier); the others start during the window.
PREEXISTING_SUBSCRIPTION_SHARE = 0.85
PREEXISTING_SUBSCRIPTION_MAX_DAYS = 240
#: Monthly churn hazard of paid monthly subscriptions; yearly ones renew with YEARLY_RENEWAL.
MONTHLY_CHURN = 0.03
YEARLY_RENEWAL = 0.75
#: Ended subscriptions: cancelled by the customer, or expired after an unpaid invoice.
CANCELLED_SHARE_OF_ENDED = 0.65
MONTH_DAYS = 30
YEAR_DAYS = 365

INVOICE_NET_DAYS = 14
#: Share of invoices issued in the last DRAFT_DAYS days still in draft.
DRAFT_DAYS = 2
DRAFT_SHARE = 0.5
#: Invoices not yet due: paid early with this probability, otherwise "sent".
EARLY_PAYMENT_SHARE = 0.45
#: Invoices past due: paid (payment success) or overdue.
PAYMENT_SUCCESS = 0.93
#: Voided invoices.
INVOICE_CANCELLED_SHARE = 0.02
#: Days from issue to payment: exponential mean, capped at the due date for on-time payers.
PAYMENT_LAG_DAYS = 5.0
#: One-off invoices (services, custom work) without a subscription, per customer.
ONE_OFF_INVOICES_PER_CUSTOMER = 0.25
ONE_OFF_AMOUNT_CENTS = (5000, 60000)


# ---------------------------------------------------------------------------------------
# Small helpers shared by the generators
# ---------------------------------------------------------------------------------------


def choice(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    """Indices into ``table`` drawn by its weights."""
    weights = np.asarray([w for _, w in table], dtype=float)
    return rng.choice(len(table), size=n, p=weights / weights.sum())


def lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return rng.lognormal(math.log(median), sigma, size=n)


def scaled(value: int, factor: float, minimum: int) -> int:
    return max(minimum, int(round(value * factor)))


# ---------------------------------------------------------------------------------------
# Shared vocabulary: what seeded and simulated rows both say
# ---------------------------------------------------------------------------------------

#: Event types, in the order the seeder counts them per session.
EVENT_TYPES: tuple[str, ...] = (
    "page_view", "search", "click", "product_view", "add_to_cart", "remove_from_cart", "checkout", "purchase",
)
#: Order numbers: ``ORD-0100001`` is a tenant's first order, numbered on from there.
ORDER_NUMBER_PREFIX = "ORD-"
ORDER_NUMBER_FIRST = 100_001
ORDER_NUMBER_DIGITS = 7
#: Channel of an order placed in a tracked web session (others: :data:`UNTRACKED_CHANNELS`).
WEB_CHANNEL = "web"


#: Invoice numbers: ``INV-<yyyymm of issue>-<tenant's running number from 010001>``.
INVOICE_NUMBER_FIRST = 10_001


def invoice_number(issued: dt.date, index: int) -> str:
    """The business key of a tenant's ``index``-th invoice (0-based), issued on ``issued``."""
    return f"INV-{issued:%Y%m}-{index + INVOICE_NUMBER_FIRST:06d}"


def order_number(index: int) -> str:
    """The business key of a tenant's ``index``-th order (0-based): ``ORD-0100001`` for 0."""
    return f"{ORDER_NUMBER_PREFIX}{index + ORDER_NUMBER_FIRST:0{ORDER_NUMBER_DIGITS}d}"


# ---------------------------------------------------------------------------------------
# The live workload (``simulate_activity``): the seeded world, carried on in time
# ---------------------------------------------------------------------------------------

#: Simulated seconds per real second by default: 1 is real time, so an hour of activity
#: adds an hour's worth of orders, sessions and sign-ups at the tenant's own pace.
WORKLOAD_TIME_SCALE = 1.0
#: A tenant's pace (orders, sessions, sign-ups ... per day) is measured over its last
#: WORKLOAD_HISTORY_DAYS days of data; a tenant with no history gets the fallback pace.
WORKLOAD_HISTORY_DAYS = 30
WORKLOAD_FALLBACK_PER_DAY: dict[str, float] = {
    "orders": 60.0, "sessions": 150.0, "customers": 5.0, "subscriptions": 2.0, "invoices": 4.0,
}
#: Housekeeping that goes on at any pace, per day: profile edits per customer, restocks and
#: price corrections per product, test accounts created (and removed again) per tenant.
WORKLOAD_PROFILE_EDITS_PER_CUSTOMER_DAY = 0.05
WORKLOAD_RESTOCKS_PER_PRODUCT_DAY = 0.2
WORKLOAD_TEST_ACCOUNTS_PER_DAY = 4.0
#: A test account lives this many hours (lognormal median, sigma) before it is removed
#: (test accounts are no customers: the realism figures leave them out; short lives keep the
#: few alive at any moment out of the way of customer counts elsewhere).
WORKLOAD_TEST_ACCOUNT_HOURS = (0.02, 0.5)
#: Share of placed orders cancelled: the seeded mix's cancelled share of finished orders.
WORKLOAD_CANCEL_SHARE = ORDER_STATUS_MIX["cancelled"] / (ORDER_STATUS_MIX["cancelled"] + ORDER_STATUS_MIX["completed"])
#: Open orders found at start (seeded) move on after exponential waits of these means (days):
#: the recency scales the seeder gave them, so an hour changes the status mix by little.
WORKLOAD_BACKLOG_DAYS: dict[str, float] = {"pending": PENDING_RECENCY_DAYS, "processing": PROCESSING_RECENCY_DAYS}
#: Repeat buying carries on: a buyer is drawn in proportion to (past orders + this), so the
#: top 30% keep placing about 70% of orders; the same for product popularity (past sales).
WORKLOAD_REPEAT_SMOOTHING = 0.5
#: Relative frequency of the work done between paced arrivals when a run asks for more
#: operations than the tenants' pace provides: operations that leave every realism figure as
#: it is (profile edits and restocks; short-lived test accounts). No events: a new session
#: or event would move the funnel or the session figures.
WORKLOAD_FILL_WEIGHTS: dict[str, float] = {"updates": 95.0, "customers": 5.0}
#: Invoices issued by the workload are paid after an exponential lag (mean PAYMENT_LAG_DAYS)
#: with probability PAYMENT_SUCCESS, otherwise marked overdue at the due date; subscriptions
#: end (cancelled or expired, CANCELLED_SHARE_OF_ENDED) at the MONTHLY_CHURN hazard.
