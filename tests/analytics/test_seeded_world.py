"""Sanity of the metrics on a world made by the seeding engine (``seed_all --scale small``).

Expectations come from :mod:`seeding.distributions` (the parameters the generator used), and
tolerances from the sample sizes measured here, so a change of a parameter moves the
generator and these tests together. Per-tenant numbers are computed as the app role inside
each tenant's context; pooled ones (all seeded tenants) as the replication role.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command, get_commands
from django.db import connections
from django.db.models import Sum

from analytics.definitions import load_queries
from analytics.runner import replication_connection, run_as_replication, run_for_tenant
from tests.support import purge_tenants

pytestmark = pytest.mark.slow
#: A fixed window keeps the measured figures the same whatever day the suite runs.
SEED_OPTIONS = {"scale": "small", "seed": 1, "tenants": 3, "clean": True, "start_date": "2025-01-06", "days": 180}


@dataclass(frozen=True)
class SeededTenant:
    id: uuid.UUID
    slug: str
    profile: str
    window_start: dt.date
    days: int


@dataclass(frozen=True)
class Seeded:
    tenants: list[SeededTenant]

    def metric(self, name: str, tenant: SeededTenant) -> list[dict[str, Any]]:
        return run_for_tenant(load_queries()[name], tenant.id).dicts()

    def pooled(self, name: str) -> list[dict[str, Any]]:
        """All seeded tenants' rows, read as the replication role."""
        ids = {t.id for t in self.tenants}
        conn = replication_connection()
        try:
            rows = run_as_replication(conn, load_queries()[name]).dicts()
        finally:
            conn.close()
        return [r for r in rows if r["tenant_id"] in ids]


@pytest.fixture(scope="module")
def seeded(django_db_setup: str, django_db_blocker) -> Iterator[Seeded]:
    if "seed_all" not in get_commands():
        pytest.skip("the seeding engine's seed_all command (seeding/management/commands/seed_all.py) is missing")
    with django_db_blocker.unblock():
        call_command("seed_all", verbosity=0, **SEED_OPTIONS)
        conn = replication_connection()
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT id, slug, settings FROM tenancy_tenant WHERE settings ? 'seeding' ORDER BY slug")
                rows = cursor.fetchall()
        finally:
            conn.close()
        tenants = [
            SeededTenant(uuid.UUID(str(i)), slug, s["seeding"]["profile"],
                         dt.date.fromisoformat(s["seeding"]["start_date"]), int(s["seeding"]["days"]))
            for i, slug, s in rows
        ]
        try:
            assert len(tenants) == SEED_OPTIONS["tenants"]
            yield Seeded(tenants)
        finally:
            connections["default"].close()
            purge_tenants([t.id for t in tenants])
            connections["default"].close()


@pytest.fixture
def world(seeded: Seeded, django_db_blocker) -> Iterator[Seeded]:
    with django_db_blocker.unblock():
        yield seeded
        connections["default"].close()


def test_funnel_counts_never_increase_step_to_step(world: Seeded) -> None:
    for tenant in world.tenants:
        sessions = [row["sessions"] for row in world.metric("conversion_funnel", tenant)]
        assert len(sessions) == 5 and sessions[0] > 0, tenant.slug
        assert all(a >= b for a, b in zip(sessions, sessions[1:], strict=False)), (tenant.slug, sessions)
        assert sessions[-1] > 0, f"{tenant.slug}: no purchase sessions"


def test_completed_share_is_the_generated_status_mix(world: Seeded) -> None:
    from seeding.distributions import ORDER_STATUS_MIX

    expected = ORDER_STATUS_MIX["completed"]
    for tenant in world.tenants:
        rows = {r["status"]: r for r in world.metric("orders_by_status", tenant)}
        total = sum(r["orders"] for r in rows.values())
        share = rows["completed"]["orders"] / total
        tolerance = 4 * math.sqrt(expected * (1 - expected) / total)  # four binomial standard errors
        assert abs(share - expected) <= tolerance, (tenant.slug, share, expected, tolerance)


def test_mrr_is_the_sum_of_active_subscriptions(world: Seeded) -> None:
    from models_app.models import Subscription
    from tenancy import tenant_context

    for tenant in world.tenants:
        (row,) = world.metric("mrr", tenant)
        with tenant_context(tenant.id):
            active = Subscription.objects.filter(status="active")
            expected = active.aggregate(total=Sum("monthly_amount"))["total"] or Decimal("0")
            count = active.count()
        assert count > 0, f"{tenant.slug}: no active subscriptions, the comparison proves nothing"
        assert row["mrr"] == expected and row["active_subscriptions"] == count
        assert row["arr"] == 12 * expected


def test_rates_are_shares(world: Seeded) -> None:
    checks = {
        "customer_retention_cohorts": ["retention_rate"], "customer_churn": ["churn_rate", "inactive_share"],
        "subscription_churn": ["churn_rate"], "cart_abandonment": ["cart_abandonment_rate",
                                                                   "checkout_abandonment_rate"],
        "payment_success_rate": ["payment_success_rate", "on_time_rate"],
        "conversion_funnel": ["conversion_from_previous", "conversion_from_start"],
        "session_duration_trends": ["bounce_rate"], "engagement_score": ["engaged_share"],
    }
    for tenant in world.tenants:
        for name, columns in checks.items():
            rows = world.metric(name, tenant)
            assert rows, (tenant.slug, name)
            for column in columns:
                values = [r[column] for r in rows if r[column] is not None]
                assert values, (tenant.slug, name, column)
                assert all(0 <= v <= 1 for v in values), (tenant.slug, name, column, min(values), max(values))
        cohorts = world.metric("customer_retention_cohorts", tenant)
        assert all(r["retention_rate"] == 1 for r in cohorts if r["month_offset"] == 0)
        assert any(r["retention_rate"] < 1 for r in cohorts), "nobody ever churns: retention is not measured"
        churn = world.metric("subscription_churn", tenant)
        assert any(r["churned"] for r in churn), f"{tenant.slug}: no subscription ever ended"


def test_aov_is_inside_the_tenant_profile_range(world: Seeded) -> None:
    from seeding.distributions import PROFILES

    for tenant in world.tenants:
        low, high = PROFILES[tenant.profile].aov
        (row,) = world.metric("average_order_value", tenant)
        # The standard error of the mean order value, from the same orders: the target is an
        # expectation, the sample mean may stray by sampling noise.
        with connections["default"].cursor() as cursor, _context(tenant.id):
            cursor.execute("SELECT stddev_samp(total) FROM models_app_order WHERE status = 'completed'")
            stddev = float(cursor.fetchone()[0])
        error = 3 * stddev / math.sqrt(row["completed_orders"])
        assert low - error <= float(row["aov"]) <= high + error, (tenant.slug, tenant.profile, row["aov"], error)


def _context(tenant_id: uuid.UUID):
    from tenancy import tenant_context

    return tenant_context(tenant_id)


def _pooled_daily(world: Seeded) -> dict[dt.date, float]:
    daily: dict[dt.date, float] = defaultdict(float)
    for row in world.pooled("revenue_per_day"):
        daily[row["day"]] += float(row["revenue"])
    return daily


def _expected_day_weights(tenant: SeededTenant) -> dict[dt.date, float]:
    from seeding.distributions import Window, day_weights

    window = Window(start=tenant.window_start, days=tenant.days)
    return {window.start + dt.timedelta(days=k): float(w) for k, w in enumerate(day_weights(window))}


def test_revenue_grows_as_generated(world: Seeded) -> None:
    """Newest band vs oldest band, per day: the measured ratio carries the generated growth.

    Compared on completed revenue, leaving out the last 30 days, where recent orders are still
    pending or processing by design (their recency weighting), and pooled over the tenants.
    """
    from seeding.distributions import PERIOD_BANDS

    tenant = world.tenants[0]
    assert {(t.window_start, t.days) for t in world.tenants} == {(tenant.window_start, tenant.days)}
    weights = _expected_day_weights(tenant)
    days = sorted(weights)
    first_band = days[: round(PERIOD_BANDS[0][0] * len(days))]
    last_band = days[round((1 - PERIOD_BANDS[-1][0]) * len(days)): -30]
    daily = _pooled_daily(world)

    def per_day(values: dict[dt.date, float], span: list[dt.date]) -> float:
        return sum(values.get(d, 0.0) for d in span) / len(span)

    expected = per_day(weights, last_band) / per_day(weights, first_band)
    measured = per_day(daily, last_band) / per_day(daily, first_band)
    assert expected > 1.5, "the generator's growth changed: revisit this test"
    assert 1 + 0.5 * (expected - 1) <= measured <= 1 + 1.5 * (expected - 1), (measured, expected)

    # The metric itself says so: run-rate growth over the full months is positive on balance.
    months = [r for r in world.pooled("revenue_growth") if r["period_type"] == "month" and not r["partial_period"]]
    growth = [float(r["run_rate_growth"]) for r in months if r["run_rate_growth"] is not None]
    assert growth and sum(growth) > 0, growth


def test_weekends_sell_more_as_generated(world: Seeded) -> None:
    weights = _expected_day_weights(world.tenants[0])
    daily = _pooled_daily(world)

    def ratio(values: dict[dt.date, float]) -> float:
        weekend = [values.get(d, 0.0) for d in weights if d.weekday() >= 5]
        weekday = [values.get(d, 0.0) for d in weights if d.weekday() < 5]
        return (sum(weekend) / len(weekend)) / (sum(weekday) / len(weekday))

    expected, measured = ratio(weights), ratio(daily)
    assert expected > 1.1, "the generator no longer favours weekends: revisit this test"
    # Weekends clearly ahead, by at least a quarter of the generated uplift and at most twice it
    # (seeds 1-5 on other windows measured 1.15-1.28, this world 1.35, against ~1.25 expected: a day's
    # revenue is noisy at small scale).
    assert 1 + 0.25 * (expected - 1) <= measured <= 1 + 2 * (expected - 1), (measured, expected)

    # The SQL series agrees with the pooled daily one on which days are busiest.
    by_dow: dict[int, float] = defaultdict(float)
    for row in world.pooled("revenue_by_weekday"):
        by_dow[row["isodow"]] += float(row["revenue"])
    assert sum(by_dow.values()) == pytest.approx(sum(daily.values()))
