"""Subscriptions and the invoices of each billed period.

A subscription starts some days after its customer signs up, with a trial; trials convert
or expire; paid subscriptions bill monthly (or yearly) until they churn: cancelled by the
customer, or expired after an unpaid (overdue) invoice. Invoices exist for every billed
period that starts inside the window, with amounts equal to the subscription's
(12 x ``monthly_amount`` for yearly plans), ``due_date = issue_date + net days`` and
``paid_date >= issue_date``. A few one-off invoices have no subscription.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeding import copytext as C
from seeding import distributions as D
from seeding.generators.customers import CustomerCore
from seeding.world import TenantPlan, WorldSpec, rng_for

SUB_COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "customer_id", "plan_name", "status", "start_date",
               "end_date", "monthly_amount", "billing_cycle")
INVOICE_COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "customer_id", "subscription_id",
                   "invoice_number", "amount", "status", "issue_date", "due_date", "paid_date")
SUB_STATUSES = ("active", "cancelled", "expired", "trial")
INVOICE_STATUSES = ("draft", "sent", "paid", "overdue", "cancelled")
CYCLES = ("monthly", "yearly")


@dataclass
class Subscriptions:
    n: int
    ids: np.ndarray
    customer: np.ndarray
    plan_idx: np.ndarray
    yearly: np.ndarray
    status: np.ndarray
    start_ms: np.ndarray
    end_ms: np.ndarray  # valid where has_end
    has_end: np.ndarray
    monthly_cents: np.ndarray
    created_ms: np.ndarray
    updated_ms: np.ndarray
    billing_start_ms: np.ndarray
    paid_periods: np.ndarray  # billed periods (large for active subscriptions)


def generate_subscriptions(spec: WorldSpec, plan: TenantPlan, core: CustomerCore) -> Subscriptions:
    rng = rng_for(spec.seed, plan.index, "subscriptions")
    w = spec.window
    end = w.end_ms
    n = min(plan.subscriptions, core.n)
    # Longer-standing customers are likelier to subscribe (tenure weight, capped).
    tenure = np.clip(end - core.created_ms, D.MS_PER_DAY, D.SUBSCRIBER_TENURE_CAP_DAYS * D.MS_PER_DAY)
    customer = np.sort(rng.choice(core.n, size=n, replace=False, p=tenure / tenure.sum()))
    created = core.created_ms[customer]
    lag = (rng.exponential(D.SUBSCRIBE_LAG_DAYS, n) * D.MS_PER_DAY).astype(np.int64)
    pre = rng.random(n) < D.PREEXISTING_SUBSCRIPTION_SHARE
    # Customers who signed up during the window subscribe some days later; the existing base
    # either subscribed before the window (recently enough to still be billed) or during it.
    old_customer = created < w.start_ms
    start = np.where(old_customer, D.sample_times(rng, n, w), created + lag)
    before = np.maximum(created, D.sample_before(rng, n, w, D.PREEXISTING_SUBSCRIPTION_MAX_DAYS))
    start = np.where(old_customer & pre, before, start)
    late = start >= end - D.MS_PER_HOUR
    start[late] = created[late] + (rng.random(int(late.sum())) * (end - D.MS_PER_HOUR - created[late])).astype(np.int64)
    start = np.maximum(start, created)
    trial_end = start + D.TRIAL_DAYS * D.MS_PER_DAY
    in_trial = trial_end >= end
    converted = ~in_trial & (rng.random(n) < D.TRIAL_CONVERSION)
    yearly = rng.random(n) < D.YEARLY_SHARE
    period = np.where(yearly, D.YEAR_DAYS, D.MONTH_DAYS) * D.MS_PER_DAY
    periods = np.where(yearly, rng.geometric(1 - D.YEARLY_RENEWAL, n), rng.geometric(D.MONTHLY_CHURN, n))
    churn_at = trial_end + periods * period
    ended_paid = converted & (churn_at < end)
    status = np.full(n, SUB_STATUSES.index("active"))
    status[in_trial] = SUB_STATUSES.index("trial")
    failed_trial = ~in_trial & ~converted
    status[failed_trial] = SUB_STATUSES.index("expired")
    cancelled = ended_paid & (rng.random(n) < D.CANCELLED_SHARE_OF_ENDED)
    status[ended_paid] = np.where(cancelled[ended_paid], SUB_STATUSES.index("cancelled"),
                                  SUB_STATUSES.index("expired"))
    end_ms = np.where(failed_trial, trial_end, churn_at)
    has_end = failed_trial | ended_paid
    plan_idx = rng.choice(len(D.SUBSCRIPTION_PLANS), size=n, p=[p for _, _, p in D.SUBSCRIPTION_PLANS])
    list_price = np.asarray([c for _, c, _ in D.SUBSCRIPTION_PLANS])[plan_idx]
    monthly = np.where(yearly, np.round(list_price * (1 - D.YEARLY_DISCOUNT)), list_price).astype(np.int64)
    updated = np.where(has_end, end_ms, np.where(converted, trial_end, start))
    updated = np.minimum(np.maximum(updated, start), end - 1)
    paid_periods = np.where(converted, periods, 0)
    return Subscriptions(n=n, ids=C.new_ids(rng, start), customer=customer, plan_idx=plan_idx, yearly=yearly,
                         status=status, start_ms=start, end_ms=end_ms, has_end=has_end, monthly_cents=monthly,
                         created_ms=start, updated_ms=updated, billing_start_ms=trial_end,
                         paid_periods=paid_periods)


def encode_subscriptions(plan: TenantPlan, core: CustomerCore, s: Subscriptions) -> list[list[str]]:
    return [
        C.text(s.ids), C.constant(str(plan.tenant_id), s.n), C.timestamps(s.created_ms), C.timestamps(s.updated_ms),
        C.text(core.ids[s.customer]), C.pick([p for p, _, _ in D.SUBSCRIPTION_PLANS], s.plan_idx),
        C.pick(SUB_STATUSES, s.status), C.dates(s.start_ms), C.nullable_dates(s.end_ms, s.has_end),
        C.money(s.monthly_cents), C.pick(CYCLES, s.yearly.astype(np.int64)),
    ]


@dataclass
class Invoices:
    n: int
    ids: np.ndarray
    customer: np.ndarray
    subscription: np.ndarray  # -1 = one-off
    amount: np.ndarray
    status: np.ndarray
    issue_ms: np.ndarray
    due_ms: np.ndarray
    paid_ms: np.ndarray
    updated_ms: np.ndarray


def generate_invoices(spec: WorldSpec, plan: TenantPlan, core: CustomerCore, s: Subscriptions) -> Invoices:
    rng = rng_for(spec.seed, plan.index, "invoices")
    w = spec.window
    end = w.end_ms
    period = np.where(s.yearly, D.YEAR_DAYS, D.MONTH_DAYS).astype(np.int64) * D.MS_PER_DAY
    bstart = s.billing_start_ms
    first = np.maximum(0, -(-(w.start_ms - bstart) // period))
    until_now = np.maximum(0, -(-(end - bstart) // period))
    last = np.minimum(s.paid_periods, until_now)
    count = np.maximum(0, last - first)
    sub = np.repeat(np.arange(s.n), count)
    k = np.arange(sub.size) - np.repeat(np.cumsum(count) - count, count) + first[sub]
    issue = bstart[sub] + k * period[sub]
    amount = np.where(s.yearly[sub], s.monthly_cents[sub] * 12, s.monthly_cents[sub])
    # The final invoice of an expired subscription is the one that went unpaid.
    final = (k == s.paid_periods[sub] - 1) & (s.status[sub] == SUB_STATUSES.index("expired"))
    n1 = int(round(core.n * D.ONE_OFF_INVOICES_PER_CUSTOMER))
    one_issue = D.sample_times(rng, n1, w)
    one_customer = np.minimum(np.searchsorted(core.created_ms, one_issue, side="right") - 1, core.n - 1)
    one_customer = (rng.random(n1) * (one_customer + 1)).astype(np.int64)
    issue = np.concatenate([issue, one_issue])
    customer = np.concatenate([s.customer[sub], one_customer])
    subscription = np.concatenate([sub, np.full(n1, -1)])
    amount = np.concatenate([amount, rng.integers(*D.ONE_OFF_AMOUNT_CENTS, n1)])
    final = np.concatenate([final, np.zeros(n1, dtype=bool)])
    order = np.argsort(issue, kind="stable")
    issue, customer, subscription, amount, final = (issue[order], customer[order], subscription[order],
                                                    amount[order], final[order])
    n = issue.size
    due = issue + D.INVOICE_NET_DAYS * D.MS_PER_DAY
    status = np.full(n, INVOICE_STATUSES.index("sent"))
    paid = np.zeros(n, dtype=bool)
    not_due = due >= end
    early = not_due & (rng.random(n) < D.EARLY_PAYMENT_SHARE)
    past_due = ~not_due
    on_time = past_due & ~final & (rng.random(n) < D.PAYMENT_SUCCESS)
    paid = early | on_time
    status[paid] = INVOICE_STATUSES.index("paid")
    status[past_due & ~paid] = INVOICE_STATUSES.index("overdue")
    draft = (issue >= end - D.DRAFT_DAYS * D.MS_PER_DAY) & (rng.random(n) < D.DRAFT_SHARE)
    status[draft] = INVOICE_STATUSES.index("draft")
    void = ~final & (rng.random(n) < D.INVOICE_CANCELLED_SHARE)
    status[void] = INVOICE_STATUSES.index("cancelled")
    paid = status == INVOICE_STATUSES.index("paid")
    lag = (rng.exponential(D.PAYMENT_LAG_DAYS, n) * D.MS_PER_DAY).astype(np.int64)
    lag = np.minimum(lag, due - issue)
    paid_ms = np.minimum(issue + lag, end - 1)
    updated = np.where(paid, paid_ms, np.where(status == INVOICE_STATUSES.index("overdue"), due, issue))
    updated = np.where(status == INVOICE_STATUSES.index("cancelled"),
                       issue + (rng.random(n) * np.maximum(end - 1 - issue, 0) * 0.5).astype(np.int64), updated)
    updated = np.minimum(np.maximum(updated, issue), end - 1)
    return Invoices(n=n, ids=C.new_ids(rng, issue), customer=customer, subscription=subscription, amount=amount,
                    status=status, issue_ms=issue, due_ms=due, paid_ms=paid_ms, updated_ms=updated)


def encode_invoices(plan: TenantPlan, core: CustomerCore, s: Subscriptions, inv: Invoices,
                    lo: int, hi: int) -> list[list[str]]:
    sl = slice(lo, hi)
    sub = inv.subscription[sl]
    sub_ids = C.text_or_null(sub >= 0, s.ids[np.maximum(sub, 0)] if s.n else np.full(sub.shape, b""))
    paid = inv.status[sl] == INVOICE_STATUSES.index("paid")
    issue_days = np.datetime_as_string(inv.issue_ms[sl].astype("datetime64[ms]").astype("datetime64[D]")).tolist()
    return [
        C.text(inv.ids[sl]), C.constant(str(plan.tenant_id), hi - lo), C.timestamps(inv.issue_ms[sl]),
        C.timestamps(inv.updated_ms[sl]), C.text(core.ids[inv.customer[sl]]), sub_ids,
        [f"INV-{d[:4]}{d[5:7]}-{i + 10001:06d}" for i, d in zip(range(lo, hi), issue_days, strict=True)],
        C.money(inv.amount[sl]), C.pick(INVOICE_STATUSES, inv.status[sl]), issue_days,
        C.dates(inv.due_ms[sl]), C.nullable_dates(inv.paid_ms[sl], paid),
    ]
