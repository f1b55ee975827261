"""The numbers behind the report's charts, one :class:`Section` per tenant plus an overall one.

A section is built from query results the same way whether they hold one tenant (the app
role under its tenant context) or all of them (the replication role): rows are summed over
whatever tenants they contain, and ratios are recomputed from the sums, never averaged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from analytics.runner import Result

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class Section:
    key: str
    title: str
    subtitle: str = ""
    daily: list[tuple[dt.date, float, int]] = field(default_factory=list)  # day, revenue, orders
    booked: list[tuple[dt.date, float]] = field(default_factory=list)  # day, value of orders not cancelled
    status: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    cohorts: list[dt.date] = field(default_factory=list)
    cohort_sizes: list[int] = field(default_factory=list)
    retention: list[list[float | None]] = field(default_factory=list)  # [cohort][offset]
    mrr: list[tuple[dt.date, float]] = field(default_factory=list)
    current_mrr: float = 0.0
    #: Every definition's result for this section (one tenant, or all of them), by name.
    results: dict[str, Result] = field(default_factory=dict)
    #: How tenants are labelled in charts and tables (tenant id -> slug).
    labels: dict[object, str] = field(default_factory=dict)
    #: Rows per table and tenant label (table -> label -> rows).
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: True for the cross-tenant section (it alone may compare tenants).
    overall: bool = False

    @property
    def revenue(self) -> float:
        return sum(r for _, r, _ in self.daily)

    @property
    def completed_orders(self) -> int:
        return sum(n for _, _, n in self.daily)

    @property
    def aov(self) -> float | None:
        return self.revenue / self.completed_orders if self.completed_orders else None

    def weekday_means(self) -> list[float]:
        """Mean revenue per day with orders, Monday to Sunday: the weekly rhythm."""
        totals, counts = [0.0] * 7, [0] * 7
        for day, revenue, _ in self.daily:
            totals[day.weekday()] += revenue
            counts[day.weekday()] += 1
        return [t / c if c else 0.0 for t, c in zip(totals, counts, strict=True)]

    def rolling(self, window: int = 7, *, booked: bool = False) -> list[float]:
        """Trailing mean over ``window`` calendar days (missing days count as 0), one value per day of ``daily``."""
        by_day = dict(self.booked) if booked else {d: r for d, r, _ in self.daily}
        return [sum(by_day.get(day - dt.timedelta(days=k), 0.0) for k in range(window)) / window
                for day, _, _ in self.daily]


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _f(value: object) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else 0.0


def build_section(key: str, title: str, results: Mapping[str, Result], subtitle: str = "", *,
                  labels: Mapping[object, str] | None = None, row_counts: Result | None = None,
                  overall: bool = False) -> Section:
    """Sum the rows of ``results`` (one tenant or many) into a section."""
    section = Section(key=key, title=title, subtitle=subtitle, results=dict(results), labels=dict(labels or {}),
                      overall=overall)
    if row_counts is not None:
        for row in row_counts.dicts():
            label = section.labels.get(row["tenant_id"], str(row["tenant_id"]))
            section.row_counts.setdefault(row["table_name"], {})[label] = int(row["row_count"])

    daily: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0, 0.0])
    for row in results["revenue_per_day"].dicts():
        daily[row["day"]][0] += _f(row["revenue"])
        daily[row["day"]][1] += int(row["completed_orders"])
        daily[row["day"]][2] += _f(row["booked_value"])
    section.daily = [(d, v[0], int(v[1])) for d, v in sorted(daily.items())]
    section.booked = [(d, v[2]) for d, v in sorted(daily.items())]

    status: dict[str, int] = defaultdict(int)
    for row in results["orders_by_status"].dicts():
        status[row["status"]] += int(row["orders"])
    order = ["completed", "processing", "pending", "cancelled"]
    section.status = sorted(status.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))

    funnel: dict[tuple[int, str], int] = defaultdict(int)
    for row in results["conversion_funnel"].dicts():
        funnel[(row["step_no"], row["step"])] += int(row["sessions"])
    section.funnel = [(step, n) for (_, step), n in sorted(funnel.items())]

    sizes: dict[dt.date, int] = defaultdict(int)
    active: dict[tuple[dt.date, int], int] = defaultdict(int)
    seen: set[tuple[object, dt.date]] = set()
    for row in results["customer_retention_cohorts"].dicts():
        if (row["tenant_id"], row["cohort_month"]) not in seen:
            seen.add((row["tenant_id"], row["cohort_month"]))
            sizes[row["cohort_month"]] += int(row["cohort_size"])
        active[(row["cohort_month"], int(row["month_offset"]))] += int(row["active_customers"])
    section.cohorts = sorted(sizes)
    section.cohort_sizes = [sizes[c] for c in section.cohorts]
    width = max((offset for _, offset in active), default=-1) + 1
    last = max((_month_index(c) + k for c, k in active), default=0)
    # A month the data reaches but the cohort did not buy in is 0%; a month after the data ends is blank.
    section.retention = [
        [active.get((c, k), 0) / sizes[c] if _month_index(c) + k <= last else None for k in range(width)]
        for c in section.cohorts
    ]

    mrr: dict[dt.date, float] = defaultdict(float)
    for row in results["mrr_over_time"].dicts():
        mrr[row["month_end"]] += _f(row["mrr"])
    section.mrr = sorted(mrr.items())
    section.current_mrr = sum(_f(row["mrr"]) for row in results["mrr"].dicts())
    return section


#: The per-tenant comparison table: (column heading, metric, column, how the value is combined).
#: "first": the tenant's single-row value; "sum": summed over the tenant's rows; "ratio:a/b": recomputed
#: from sums (never an average of ratios).
COMPARISON = (
    ("completed orders", "average_order_value", "completed_orders", "first"),
    ("revenue", "revenue_by_tenant_over_time", "revenue", "sum"),
    ("AOV", "average_order_value", "aov", "first"),
    ("customers", "customer_lifetime_value", "customers", "first"),
    ("buyers", "customer_lifetime_value", "buyers", "first"),
    ("avg CLV", "customer_lifetime_value", "avg_clv", "first"),
    ("buyer churn", "customer_churn", "churn_rate", "first"),
    ("funnel conversion", "conversion_funnel", "purchase/page_view", "steps"),
    ("cart abandonment", "cart_abandonment", "1-purchase_sessions/cart_sessions", "ratio"),
    ("avg engagement", "engagement_score", "avg_score", "first"),
    ("MRR", "mrr", "mrr", "first"),
    ("active subscriptions", "mrr", "active_subscriptions", "first"),
    ("payment success", "payment_success_rate", "paid/collectible_invoices", "ratio"),
)


def _comparison_value(rows: list[dict[str, object]], column: str, how: str) -> object:
    if not rows:
        return None
    if how == "first":
        return rows[0][column]
    if how == "sum":
        return sum((r[column] for r in rows if r[column] is not None), Decimal(0))
    if how == "steps":
        top, bottom = column.split("/")
        sessions = {r["step"]: r["sessions"] for r in rows}
        return round(Decimal(sessions.get(top, 0)) / sessions[bottom], 4) if sessions.get(bottom) else None
    complement = column.startswith("1-")
    top, bottom = column.removeprefix("1-").split("/")
    denominator = sum(int(r[bottom] or 0) for r in rows)
    if not denominator:
        return None
    share = Decimal(sum(int(r[top] or 0) for r in rows)) / denominator
    return round(1 - share if complement else share, 4)


def tenant_comparison(results: Mapping[str, Result], labels: Mapping[object, str]) -> tuple[list[str], list[tuple]]:
    """One row per tenant (by label) with the headline figure of each metric group."""
    by_tenant: dict[str, dict[str, list[dict[str, object]]]] = defaultdict(lambda: defaultdict(list))
    for name in {metric for _, metric, _, _ in COMPARISON}:
        for row in results[name].dicts():
            by_tenant[labels.get(row["tenant_id"], str(row["tenant_id"]))][name].append(row)
    columns = ["tenant", *(heading for heading, *_ in COMPARISON)]
    rows = [
        (label, *(_comparison_value(by_tenant[label][metric], column, how) for _, metric, column, how in COMPARISON))
        for label in sorted(set(labels.values()))
    ]
    return columns, rows
