"""Customers: sign-ups over time, loyalty weights, churn, lifecycle, contact data.

The "core" (sign-up time, ordering weight, churn moment, address) is drawn first because
orders depend on it; the rows are encoded later, once the orders are known, because a
customer's lifecycle stage and ``updated_at`` follow from their order history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from seeding import copytext as C
from seeding import distributions as D
from seeding.pools import Pools, copy_escape
from seeding.world import TenantPlan, WorldSpec, rng_for

COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "email", "first_name", "last_name", "phone",
           "is_active", "metadata")
NEVER = np.iinfo(np.int64).max


@dataclass
class CustomerCore:
    """Per-customer arrays, sorted by sign-up time."""

    n: int
    ids: np.ndarray  # S36
    created_ms: np.ndarray
    weight: np.ndarray
    loyal: np.ndarray
    churn_ms: np.ndarray  # NEVER when the customer does not churn
    first_idx: np.ndarray
    last_idx: np.ndarray
    city_idx: np.ndarray
    street_idx: np.ndarray


def generate_core(spec: WorldSpec, plan: TenantPlan, pools: Pools) -> CustomerCore:
    rng = rng_for(spec.seed, plan.index, "customers")
    w = spec.window
    n = plan.customers
    n_pre = max(1, int(round(n * D.PREEXISTING_CUSTOMER_SHARE)))
    created = np.concatenate([
        D.sample_before(rng, n_pre, w, D.PREEXISTING_CUSTOMER_MAX_DAYS),
        D.sample_times(rng, n - n_pre, w),
    ])
    created.sort()
    loyal = np.zeros(n, dtype=bool)
    n_loyal = max(1, int(round(n * D.REPEAT_TOP_CUSTOMER_SHARE)))
    loyal[rng.permutation(n)[:n_loyal]] = True
    weight = np.where(loyal, D.LOYAL_WEIGHT_MASS / n_loyal, (1 - D.LOYAL_WEIGHT_MASS) / max(1, n - n_loyal))
    weight = weight * D.lognormal(rng, 1.0, D.CUSTOMER_WEIGHT_SIGMA, n)
    churns = rng.random(n) < D.CHURN_SHARE
    churns[0] = False  # the earliest customer stays: every moment has an eligible buyer
    span = np.maximum(w.end_ms - created, D.MS_PER_DAY)
    churn_ms = np.where(churns, created + D.MS_PER_DAY + (rng.random(n) * span).astype(np.int64), NEVER)
    return CustomerCore(
        n=n, ids=C.new_ids(rng, created), created_ms=created, weight=weight, loyal=loyal, churn_ms=churn_ms,
        first_idx=rng.integers(0, len(pools.first_names), n), last_idx=rng.integers(0, len(pools.last_names), n),
        city_idx=rng.integers(0, len(pools.cities), n), street_idx=rng.integers(0, len(pools.streets), n),
    )


def _emails(rng: np.random.Generator, core: CustomerCore, pools: Pools, plan: TenantPlan) -> list[str]:
    """Realistic, unique-per-tenant addresses (a number is appended only on a clash)."""
    domains = [d for d, _ in D.EMAIL_DOMAINS]
    domain_idx = D.choice(rng, D.EMAIL_DOMAINS, core.n)
    pattern = rng.integers(0, 4, core.n)
    digits = rng.integers(1, 99, core.n)
    seen: set[str] = set()
    out: list[str] = []
    for i in range(core.n):
        first = "".join(ch for ch in pools.first_names[core.first_idx[i]].lower() if ch.isalnum())
        last = "".join(ch for ch in pools.last_names[core.last_idx[i]].lower() if ch.isalnum())
        local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}", f"{first}{last}{digits[i]}")[pattern[i]]
        domain = domains[domain_idx[i]]
        if domain == "company":
            domain = f"{last[:12] or 'mail'}corp.com"
        email = f"{local}@{domain}"
        suffix = 1
        while email in seen:
            suffix += 1
            email = f"{local}{suffix}@{domain}"
        seen.add(email)
        out.append(email)
    return out


def encode_rows(spec: WorldSpec, plan: TenantPlan, pools: Pools, core: CustomerCore,
                order_count: np.ndarray, last_order_ms: np.ndarray) -> tuple[tuple[str, ...], list[list[str]]]:
    """All customer rows (customers are few: plain Python per row is fine here)."""
    rng = rng_for(spec.seed, plan.index, "customers", chunk=1)
    end = spec.window.end_ms
    n = core.n
    churned = (core.churn_ms < end) | ((last_order_ms < end - D.CHURN_INACTIVE_DAYS * D.MS_PER_DAY)
                                       & (core.created_ms < end - D.CHURN_INACTIVE_DAYS * D.MS_PER_DAY))
    new = ~churned & (core.created_ms >= end - D.NEW_CUSTOMER_DAYS * D.MS_PER_DAY)
    stage = np.where(churned, "churned", np.where(new, "new", "active"))
    closed = churned & (rng.random(n) < D.CLOSED_SHARE_OF_CHURNED)
    updated = np.maximum(core.created_ms, np.where(last_order_ms > 0, last_order_ms, 0))
    updated = np.maximum(updated, np.where(core.churn_ms < end, core.churn_ms, 0))
    updated = np.minimum(updated, end - 1)
    phones = [f"+1-{a}-{b:03d}-{c:04d}" for a, b, c in zip(rng.integers(201, 990, n).tolist(),
                                                            rng.integers(200, 1000, n).tolist(),
                                                            rng.integers(0, 10000, n).tolist(), strict=True)]
    has_phone = rng.random(n) >= D.PHONE_MISSING_SHARE
    age = D.choice(rng, D.AGE_GROUPS, n)
    gender = D.choice(rng, D.GENDERS, n)
    channel = D.choice(rng, D.ACQUISITION_CHANNELS, n)
    contact = D.choice(rng, D.CONTACT_PREFERENCES, n)
    newsletter = rng.random(n) < D.NEWSLETTER_SHARE
    fav = rng.integers(0, len(D.CATEGORIES), (n, 2))
    emails = _emails(rng, core, pools, plan)
    metadata = []
    for i in range(n):
        city, state, postcode = pools.cities[core.city_idx[i]]
        cats = sorted({D.CATEGORIES[fav[i, 0]], D.CATEGORIES[fav[i, 1]]})
        metadata.append(copy_escape(json.dumps({
            "demographics": {"age_group": D.AGE_GROUPS[age[i]][0], "gender": D.GENDERS[gender[i]][0],
                             "city": city, "state": state, "postcode": postcode, "country": "US"},
            "preferences": {"categories": cats, "newsletter": bool(newsletter[i]),
                            "contact": D.CONTACT_PREFERENCES[contact[i]][0]},
            "acquisition_channel": D.ACQUISITION_CHANNELS[channel[i]][0],
            "lifecycle": str(stage[i]), "segment": "loyal" if core.loyal[i] else "regular",
            "orders": int(order_count[i]),
        }, ensure_ascii=False)))
    firsts = [copy_escape(pools.first_names[i]) for i in core.first_idx.tolist()]
    lasts = [copy_escape(pools.last_names[i]) for i in core.last_idx.tolist()]
    columns = [
        C.text(core.ids), C.constant(str(plan.tenant_id), n), C.timestamps(core.created_ms), C.timestamps(updated),
        [copy_escape(e) for e in emails], firsts, lasts,
        [p if ok else C.NULL for p, ok in zip(phones, has_phone.tolist(), strict=True)],
        C.bools(~closed), metadata,
    ]
    return COLUMNS, columns
