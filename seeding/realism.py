"""Realism figures and integrity checks, measured in the database: what ``seed_report`` prints.

Per tenant, :func:`collect` runs a handful of aggregate queries *as the app role inside
the tenant's context* (so the report needs no cross-tenant right) and returns
:class:`Facts`: counters that add up across tenants. :func:`figures` turns facts into the
realism figures of docs/REQUIREMENTS.md (status mix, repeat-customer share, period shares, weekday/weekend ratio,
month-end uplift, funnel conversion per step, AOV, MRR ...), and :func:`checks` compares
them with the targets of :mod:`seeding.distributions` within the tolerances below. The
tests assert the same checks, so report and tests cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seeding import distributions as D
from seeding import tables as T

#: (figure, tolerance): how far a measured figure may be from its target.
TOLERANCES: dict[str, float] = {
    "status_share": 0.03,
    "period_share": 0.03,
    "repeat_top_share": 0.05,
    #: One tenant's top-30% share varies more than the world's (fewer customers; measured
    #: 0.61-0.74 across the small world's tenants), so its tolerance is wider.
    "repeat_top_share_tenant": 0.10,
    "weekend_ratio_orders": 0.15,
    "weekend_ratio_events": 0.08,
    "month_end_uplift_orders": 0.25,
    "month_end_uplift_events": 0.12,
    "items_per_order": 0.25,
    "funnel_step": 0.06,
}
AOV_RANGE = (50.0, 200.0)
PRICE_RANGE = (D.PRICE_FLOOR, D.PRICE_CEILING)

TABLES = (T.CUSTOMER, T.PRODUCT, T.SUBSCRIPTION, T.ORDER,
          T.ORDER_ITEM, T.EVENT, T.INVOICE)


@dataclass
class TimeFacts:
    """Activity per band, per weekday/weekend and month-end/other day (summable)."""

    bands: list[int] = field(default_factory=lambda: [0] * len(D.PERIOD_BANDS))
    months: Counter = field(default_factory=Counter)
    weekend: int = 0
    weekday: int = 0
    weekend_days: int = 0
    weekday_days: int = 0
    month_end: int = 0
    other: int = 0
    month_end_days: int = 0
    other_days: int = 0

    def add(self, other: TimeFacts) -> None:
        self.bands = [a + b for a, b in zip(self.bands, other.bands, strict=True)]
        self.months.update(other.months)
        for name in ("weekend", "weekday", "weekend_days", "weekday_days", "month_end", "other",
                     "month_end_days", "other_days"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Facts:
    counts: Counter = field(default_factory=Counter)
    order_status: Counter = field(default_factory=Counter)
    orders_time: TimeFacts = field(default_factory=TimeFacts)
    events_time: TimeFacts = field(default_factory=TimeFacts)
    repeat_top_orders: int = 0
    repeat_orders: int = 0
    #: Orders per status placed after the history window: what a live workload added.
    live_order_status: Counter = field(default_factory=Counter)
    funnel: list[int] = field(default_factory=lambda: [0] * len(D.FUNNEL_STEPS))
    sessions: int = 0
    bounces: int = 0
    authenticated_sessions: int = 0
    session_seconds: float = 0.0
    timed_sessions: int = 0
    completed_total_cents: int = 0
    completed_orders: int = 0
    mrr_cents: int = 0
    subscription_status: Counter = field(default_factory=Counter)
    invoice_status: Counter = field(default_factory=Counter)

    def add(self, other: Facts) -> None:
        for name in ("counts", "order_status", "subscription_status", "invoice_status", "live_order_status"):
            getattr(self, name).update(getattr(other, name))
        self.orders_time.add(other.orders_time)
        self.events_time.add(other.events_time)
        self.funnel = [a + b for a, b in zip(self.funnel, other.funnel, strict=True)]
        for name in ("repeat_top_orders", "repeat_orders", "sessions", "bounces", "authenticated_sessions",
                     "session_seconds", "timed_sessions", "completed_total_cents", "completed_orders", "mrr_cents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def window_of(settings: dict[str, Any] | None, cursor) -> D.Window | None:
    """The tenant's history window: from its seeding settings, else from its order dates."""
    seeding = (settings or {}).get("seeding") if isinstance(settings, dict) else None
    if isinstance(seeding, dict) and seeding.get("start_date") and seeding.get("days"):
        return D.Window(dt.date.fromisoformat(seeding["start_date"]), int(seeding["days"]))
    cursor.execute(f"SELECT min(order_date)::date, max(order_date)::date FROM {T.ORDER}")
    lo, hi = cursor.fetchone()
    if lo is None:
        return None
    return D.Window(lo, max(D.MONTH_END_DAYS + 4, (hi - lo).days + 1))


def _time_facts(per_day: list[tuple[dt.date, int]], window: D.Window | None) -> TimeFacts:
    facts = TimeFacts()
    if window is None:
        return facts
    counts = np.zeros(window.days, dtype=np.int64)
    for day, n in per_day:
        offset = (day - window.start).days
        if 0 <= offset < window.days:
            counts[offset] += n
            facts.months[day.strftime("%Y-%m")] += n
    idx = np.arange(window.days)
    dates = np.datetime64(window.start, "D") + idx
    weekend = ((dates.astype(int) + 3) % 7) >= 5
    month_end = D.is_month_end(dates)
    band = D.band_of_day(idx, window.days)
    facts.bands = [int(counts[band == b].sum()) for b in range(len(D.PERIOD_BANDS))]
    facts.weekend, facts.weekday = int(counts[weekend].sum()), int(counts[~weekend].sum())
    facts.weekend_days, facts.weekday_days = int(weekend.sum()), int((~weekend).sum())
    facts.month_end, facts.other = int(counts[month_end].sum()), int(counts[~month_end].sum())
    facts.month_end_days, facts.other_days = int(month_end.sum()), int((~month_end).sum())
    return facts


def collect(cursor, settings: dict[str, Any] | None) -> Facts:
    """The current tenant's facts (run inside its ``tenant_context``; RLS scopes every query)."""
    facts = Facts()
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
        facts.counts[table] = cursor.fetchone()[0]
    window = window_of(settings, cursor)
    cursor.execute(f"SELECT status, count(*), coalesce(sum(total), 0) FROM {T.ORDER} GROUP BY status")
    for status, n, total in cursor.fetchall():
        facts.order_status[status] = n
        if status == "completed":
            facts.completed_orders, facts.completed_total_cents = n, int(round(total * 100))
    cursor.execute(f"SELECT (order_date AT TIME ZONE 'UTC')::date, count(*) FROM {T.ORDER} GROUP BY 1")
    facts.orders_time = _time_facts(cursor.fetchall(), window)
    cursor.execute(f"SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM {T.EVENT} GROUP BY 1")
    facts.events_time = _time_facts(cursor.fetchall(), window)
    if window is not None:
        cursor.execute(f"SELECT status, count(*) FROM {T.ORDER} WHERE order_date >= %s GROUP BY status",
                       [dt.datetime.combine(window.end, dt.time(), dt.UTC)])
        facts.live_order_status.update(dict(cursor.fetchall()))
    cursor.execute(f"SELECT count(*) FROM {T.ORDER} GROUP BY customer_id ORDER BY 1 DESC")
    per_customer = [r[0] for r in cursor.fetchall()]
    # Test accounts (a live workload's, metadata {"test": true}) are not customers.
    cursor.execute(f"SELECT count(*) FROM {T.CUSTOMER} WHERE NOT metadata @> '{{\"test\": true}}'")
    top = math.ceil(cursor.fetchone()[0] * D.REPEAT_TOP_CUSTOMER_SHARE)
    facts.repeat_top_orders, facts.repeat_orders = sum(per_customer[:top]), sum(per_customer)
    cursor.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE auth),
               count(*) FILTER (WHERE pv), count(*) FILTER (WHERE prv), count(*) FILTER (WHERE atc),
               count(*) FILTER (WHERE co), count(*) FILTER (WHERE pu),
               coalesce(sum(extract(epoch FROM dur)) FILTER (WHERE n > 1), 0), count(*) FILTER (WHERE n > 1)
        FROM (SELECT count(*) AS n, bool_or(customer_id IS NOT NULL) AS auth,
                     bool_or(event_type = 'page_view') AS pv, bool_or(event_type = 'product_view') AS prv,
                     bool_or(event_type = 'add_to_cart') AS atc, bool_or(event_type = 'checkout') AS co,
                     bool_or(event_type = 'purchase') AS pu, max(created_at) - min(created_at) AS dur
              FROM {T.EVENT} GROUP BY session_id) s""")
    row = cursor.fetchone()
    facts.sessions, facts.bounces, facts.authenticated_sessions = row[0], row[1], row[2]
    facts.funnel = list(row[3:8])
    facts.session_seconds, facts.timed_sessions = float(row[8]), row[9]
    cursor.execute("SELECT coalesce(sum(monthly_amount) FILTER (WHERE status = 'active'), 0) "
                   f"FROM {T.SUBSCRIPTION}")
    facts.mrr_cents = int(round(cursor.fetchone()[0] * 100))
    cursor.execute(f"SELECT status, count(*) FROM {T.SUBSCRIPTION} GROUP BY status")
    facts.subscription_status.update(dict(cursor.fetchall()))
    cursor.execute(f"SELECT status, count(*) FROM {T.INVOICE} GROUP BY status")
    facts.invoice_status.update(dict(cursor.fetchall()))
    return facts


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _time_figures(t: TimeFacts) -> dict[str, Any]:
    total = sum(t.bands)
    weekend = _ratio(t.weekend, t.weekend_days)
    weekday = _ratio(t.weekday, t.weekday_days)
    month_end = _ratio(t.month_end, t.month_end_days)
    other = _ratio(t.other, t.other_days)
    months_total = sum(t.months.values())
    return {
        "period_shares": {label: _ratio(n, total) for label, n in zip(D.PERIOD_BAND_LABELS, t.bands, strict=True)},
        "monthly_shares": {m: n / months_total for m, n in sorted(t.months.items())} if months_total else {},
        "weekend_ratio": _ratio(weekend or 0, weekday or 0) if weekend is not None else None,
        "month_end_uplift": _ratio(month_end or 0, other or 0) if month_end is not None else None,
    }


def figures(f: Facts) -> dict[str, Any]:
    """The realism figures from (possibly summed) facts."""
    orders = sum(f.order_status.values())
    steps = {}
    for i in range(1, len(D.FUNNEL_STEPS)):
        steps[f"{D.FUNNEL_STEPS[i - 1]}->{D.FUNNEL_STEPS[i]}"] = _ratio(f.funnel[i], f.funnel[i - 1])
    paid = f.invoice_status.get("paid", 0)
    overdue = f.invoice_status.get("overdue", 0)
    return {
        "counts": {T.short(k): v for k, v in f.counts.items()},
        "order_status_shares": {s: _ratio(f.order_status.get(s, 0), orders) for s in D.ORDER_STATUS_MIX},
        "live_orders": sum(f.live_order_status.values()),
        "live_order_status_shares": {s: _ratio(f.live_order_status.get(s, 0), sum(f.live_order_status.values()))
                                     for s in D.ORDER_STATUS_MIX},
        "repeat_top_customer_share": D.REPEAT_TOP_CUSTOMER_SHARE,
        "repeat_top_order_share": _ratio(f.repeat_top_orders, f.repeat_orders),
        "orders_time": _time_figures(f.orders_time),
        "events_time": _time_figures(f.events_time),
        "funnel_sessions": dict(zip(D.FUNNEL_STEPS, f.funnel, strict=True)),
        "funnel_step_conversion": steps,
        "session_conversion": _ratio(f.funnel[-1], f.sessions),
        "bounce_rate": _ratio(f.bounces, f.sessions),
        "authenticated_session_share": _ratio(f.authenticated_sessions, f.sessions),
        "avg_session_seconds": _ratio(f.session_seconds, f.timed_sessions),
        "aov": _ratio(f.completed_total_cents / 100, f.completed_orders),
        "items_per_order": _ratio(f.counts[T.ORDER_ITEM], f.counts[T.ORDER]),
        "mrr": f.mrr_cents / 100,
        "subscription_status": dict(f.subscription_status),
        "invoice_status": dict(f.invoice_status),
        "payment_success_rate": _ratio(paid, paid + overdue),
    }


@dataclass(frozen=True)
class Check:
    name: str
    value: float | None
    target: float | tuple[float, float]
    tolerance: float

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        if isinstance(self.target, tuple):
            return self.target[0] <= self.value <= self.target[1]
        return abs(self.value - self.target) <= self.tolerance

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "target": self.target, "tolerance": self.tolerance,
                "ok": self.ok}


def checks(fig: dict[str, Any], *, per_tenant_aov: dict[str, float | None] | None = None,
           per_tenant_repeat: dict[str, float | None] | None = None) -> list[Check]:
    """Measured figures against the distribution targets (see :data:`TOLERANCES`).

    The 70/30 rule is checked for the world and for each tenant: mixing tenants of different
    sizes can make the world's figure look right while single tenants are off.
    """
    tol = TOLERANCES
    out = [Check(f"order status {s}", fig["order_status_shares"][s], share, tol["status_share"])
           for s, share in D.ORDER_STATUS_MIX.items()]
    for what in ("orders", "events"):
        shares = fig[f"{what}_time"]["period_shares"]
        out += [Check(f"{what} in {label}", shares[label], target, tol["period_share"])
                for label, (_, target) in zip(D.PERIOD_BAND_LABELS, D.PERIOD_BANDS, strict=True)]
        out.append(Check(f"{what} weekend/weekday ratio", fig[f"{what}_time"]["weekend_ratio"], D.WEEKEND_RATIO,
                         tol[f"weekend_ratio_{what}"]))
        out.append(Check(f"{what} month-end uplift", fig[f"{what}_time"]["month_end_uplift"], D.MONTH_END_UPLIFT,
                         tol[f"month_end_uplift_{what}"]))
    out.append(Check("orders from top 30% customers", fig["repeat_top_order_share"], D.REPEAT_TOP_ORDER_SHARE,
                     tol["repeat_top_share"]))
    for slug, share in (per_tenant_repeat or {}).items():
        out.append(Check(f"orders from top 30% customers ({slug})", share, D.REPEAT_TOP_ORDER_SHARE,
                         tol["repeat_top_share_tenant"]))
    out.append(Check("items per order", fig["items_per_order"], 1 + D.ITEMS_EXTRA_MEAN, tol["items_per_order"]))
    for (step, value), target in zip(fig["funnel_step_conversion"].items(), D.FUNNEL_CONTINUE, strict=True):
        out.append(Check(f"funnel {step}", value, target, tol["funnel_step"]))
    for slug, aov in (per_tenant_aov or {}).items():
        out.append(Check(f"AOV {slug}", aov, AOV_RANGE, 0.0))
    out.append(Check("MRR > 0", fig["mrr"], (0.01, math.inf), 0.0))
    return out


#: Integrity rules as SQL counting violations in the current tenant (0 = holds).
INTEGRITY_SQL: dict[str, str] = {
    "order subtotal = sum(item totals)": f"""
        SELECT count(*) FROM {T.ORDER} o LEFT JOIN (
            SELECT order_id, sum(total) AS s FROM {T.ORDER_ITEM} GROUP BY order_id) i ON i.order_id = o.id
        WHERE o.subtotal <> coalesce(i.s, 0)""",
    "order total = subtotal + tax + shipping":
        f"SELECT count(*) FROM {T.ORDER} WHERE total <> subtotal + tax + shipping",
    "item total = quantity * unit_price - discount":
        f"SELECT count(*) FROM {T.ORDER_ITEM} WHERE total <> quantity * unit_price - discount",
    "completed_at only for completed orders, after order_date": f"""
        SELECT count(*) FROM {T.ORDER} WHERE (status = 'completed') <> (completed_at IS NOT NULL)
            OR completed_at <= order_date""",
    "items reference products that existed at order time": f"""
        SELECT count(*) FROM {T.ORDER_ITEM} i JOIN {T.ORDER} o ON o.id = i.order_id
            JOIN {T.PRODUCT} p ON p.id = i.product_id WHERE p.created_at > o.order_date""",
    "orders placed by customers who had signed up": f"""
        SELECT count(*) FROM {T.ORDER} o JOIN {T.CUSTOMER} c ON c.id = o.customer_id
        WHERE c.created_at > o.order_date""",
    "purchase events match an order of that customer at that time": f"""
        SELECT count(*) FROM {T.EVENT} e LEFT JOIN {T.ORDER} o
            ON o.id = (e.event_data ->> 'order_id')::uuid AND o.customer_id = e.customer_id
            AND o.order_date = e.created_at
        WHERE e.event_type = 'purchase' AND o.id IS NULL""",
    "invoices match their subscription (customer, amount)": f"""
        SELECT count(*) FROM {T.INVOICE} i JOIN {T.SUBSCRIPTION} s ON s.id = i.subscription_id
        WHERE i.customer_id <> s.customer_id OR i.amount <> s.monthly_amount
              * CASE WHEN s.billing_cycle = 'yearly' THEN 12 ELSE 1 END
              OR i.issue_date < s.start_date OR (s.end_date IS NOT NULL AND i.issue_date > s.end_date)""",
    "paid_date >= issue_date, due_date > issue_date": f"""
        SELECT count(*) FROM {T.INVOICE} WHERE paid_date < issue_date OR due_date <= issue_date
            OR (status = 'paid') <> (paid_date IS NOT NULL)""",
    "product price within $5-$2,000 and cost < price":
        f"SELECT count(*) FROM {T.PRODUCT} WHERE price < {PRICE_RANGE[0]} "
        f"OR price > {PRICE_RANGE[1]} OR cost >= price",
    "created_at <= updated_at": " UNION ALL ".join(
        f"SELECT count(*) FROM {t} WHERE created_at > updated_at" for t in TABLES).join(  # noqa: S608
        ("SELECT sum(n) FROM (", ") v(n)")),
    "nothing in the future": " UNION ALL ".join(
        [f"SELECT count(*) FROM {t} WHERE created_at > now() OR updated_at > now()"
         for t in TABLES]
        + [f"SELECT count(*) FROM {T.ORDER} WHERE order_date > now() OR completed_at > now()",
           f"SELECT count(*) FROM {T.INVOICE} WHERE issue_date > current_date OR paid_date > current_date",
           f"SELECT count(*) FROM {T.SUBSCRIPTION} WHERE start_date > current_date "
           "OR end_date > current_date"]).join(("SELECT sum(n) FROM (", ") v(n)")),
}


def integrity(cursor) -> dict[str, int]:
    """Violations per rule for the current tenant."""
    out = {}
    for name, sql in INTEGRITY_SQL.items():
        cursor.execute(sql)
        out[name] = int(cursor.fetchone()[0] or 0)
    return out
