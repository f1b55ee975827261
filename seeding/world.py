"""What a seeding run means: the world (options) and each tenant's plan.

A :class:`WorldSpec` is the complete, hashable description of a run's data: seed, scale,
number of tenants and history window. From it, :meth:`WorldSpec.tenant_plans` derives each
tenant's identity (id, slug, name), profile and volumes, all deterministically. Random
streams are keyed by (seed, tenant index, stream, chunk) with numpy's ``SeedSequence``, so a
table generated alone (``seed_orders``) is identical to the same table generated inside
``seed_all``, whatever the worker count, batch size or order of work.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from seeding import distributions as D
from seeding.copytext import uuid7_bytes
from seeding.pools import pools

#: Bump when generation changes in a way that changes rows: part of the fingerprint.
GENERATOR_VERSION = 1

#: Named random streams (their numbers are part of the determinism contract).
STREAMS = {"tenant": 1, "customers": 2, "products": 3, "subscriptions": 4, "orders": 5, "items": 6,
           "events": 7, "invoices": 8, "customer_weights": 9, "sessions": 10}


def rng_for(seed: int, tenant_index: int, stream: str, chunk: int = 0) -> np.random.Generator:
    """The random generator of one (tenant, stream, chunk)."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(tenant_index, STREAMS[stream],
                                                                                 chunk)))


def default_window(days: int = D.DEFAULT_DAYS, today: dt.date | None = None) -> D.Window:
    """``days`` whole UTC days ending at the start of today (so nothing is in the future)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return D.Window(start=today - dt.timedelta(days=days), days=days)


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "tenant"


@dataclass(frozen=True)
class TenantPlan:
    """One tenant's identity and volumes."""

    index: int
    profile: str
    tenant_id: uuid.UUID
    name: str
    slug: str
    created_ms: int
    customers: int
    products: int
    orders: int
    subscriptions: int
    events: int
    aov_target_cents: int
    tax_rate: float
    shipping_fee_cents: int
    free_shipping_cents: int

    @property
    def domain(self) -> str:
        return f"{self.slug}.shop.example"

    def estimated_rows(self) -> int:
        """For progress bars: the planned rows (items and invoices estimated)."""
        return int(self.customers + self.products + self.orders * 4 + self.events + self.subscriptions * 5 + 1)


@dataclass(frozen=True)
class WorldSpec:
    """The options that determine every generated row."""

    seed: int
    scale: str
    tenants: int
    window: D.Window
    version: int = field(default=GENERATOR_VERSION)

    def fingerprint(self) -> dict[str, Any]:
        """Stored in each generated tenant's ``settings['seeding']`` (reruns compare it)."""
        # The tenant count is left out on purpose: tenant i is the same in every world with
        # at least i+1 tenants, so a rerun with more tenants carries on with the new ones.
        return {"seed": self.seed, "scale": self.scale, "start_date": self.window.start.isoformat(),
                "days": self.window.days, "version": self.version}

    def describe(self) -> str:
        f = self.fingerprint()
        return (f"--seed {f['seed']} --scale {f['scale']} --tenants {self.tenants} "
                f"--start-date {f['start_date']} --days {f['days']}")

    @cached_property
    def plans(self) -> tuple[TenantPlan, ...]:
        return tuple(self._plan(i, key, name) for i, (key, name) in
                     enumerate(zip(D.composition(self.tenants), self._names(), strict=True)))

    def plan_by_slug(self, slug: str) -> TenantPlan | None:
        return next((p for p in self.plans if p.slug == slug), None)

    def _names(self) -> list[str]:
        rng = rng_for(self.seed, 0, "tenant", chunk=1)
        companies = list(pools(self.seed).companies)
        order = rng.permutation(len(companies))
        names: list[str] = []
        slugs: set[str] = set()
        for i in order:
            if len(names) == self.tenants:
                break
            slug = _slugify(companies[i])
            if slug not in slugs:
                slugs.add(slug)
                names.append(companies[i])
        while len(names) < self.tenants:  # more tenants than pooled company names
            names.append(f"Tenant {len(names) + 1:03d} Commerce")
        return names

    def _plan(self, index: int, key: str, name: str) -> TenantPlan:
        profile = D.PROFILES[key]
        rng = rng_for(self.seed, index, "tenant")
        volume = D.SCALES[self.scale]
        catalog = D.CATALOG_SCALES[self.scale]
        created_ms = self.window.start_ms - int(rng.integers(*D.TENANT_AGE_DAYS)) * D.MS_PER_DAY
        tenant_id = uuid.UUID(bytes=uuid7_bytes(np.array([created_ms], dtype=np.int64),
                                                rng.integers(0, 256, size=(1, 10), dtype=np.uint8))[0].tobytes())
        customers = D.scaled(int(rng.integers(profile.customers[0], profile.customers[1] + 1)), volume,
                             D.MIN_CUSTOMERS)
        products = D.scaled(int(rng.integers(profile.products[0], profile.products[1] + 1)), catalog,
                            D.MIN_PRODUCTS)
        orders = D.scaled(int(rng.integers(profile.orders[0], profile.orders[1] + 1)), volume, D.MIN_ORDERS)
        days_factor = self.window.days / D.DEFAULT_DAYS
        orders = max(D.MIN_ORDERS, int(round(orders * days_factor)))
        return TenantPlan(
            index=index, profile=key, tenant_id=tenant_id, name=name, slug=_slugify(name),
            created_ms=created_ms, customers=customers, products=products, orders=orders,
            subscriptions=int(round(customers * profile.subscriptions_per_customer)),
            events=int(round(orders * profile.events_per_order)),
            aov_target_cents=int(round(rng.uniform(*profile.aov) * 100)),
            tax_rate=float(rng.choice(D.TAX_RATES)),
            shipping_fee_cents=int(rng.choice(D.SHIPPING_FEES_CENTS)),
            free_shipping_cents=int(rng.choice(D.FREE_SHIPPING_THRESHOLDS_CENTS)),
        )

    def tenant_settings(self, plan: TenantPlan) -> dict[str, Any]:
        """The ``settings`` JSON of a generated tenant."""
        return {
            "plan": plan.profile, "currency": "USD", "features": D.TENANT_PLAN_FEATURES[plan.profile],
            "tax_rate": plan.tax_rate, "shipping_fee": plan.shipping_fee_cents / 100,
            "free_shipping_over": plan.free_shipping_cents / 100,
            "seeding": {**self.fingerprint(), "index": plan.index, "profile": plan.profile,
                        "window_end": self.window.end.isoformat()},
        }


def spec_dict(spec: WorldSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["window"] = {"start": spec.window.start.isoformat(), "days": spec.window.days}
    return data
