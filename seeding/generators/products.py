"""Products: a category-shaped catalogue with prices, costs, stock and popularity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeding import copytext as C
from seeding import distributions as D
from seeding.pools import Pools, copy_escape
from seeding.vocabulary import ADJECTIVES, BRANDS, NOUNS, SKU_PREFIX
from seeding.world import TenantPlan, WorldSpec, rng_for

COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "sku", "name", "description", "category", "price",
           "cost", "stock_quantity", "is_active")


@dataclass
class Catalog:
    """Per-product arrays, sorted by launch time."""

    n: int
    ids: np.ndarray
    created_ms: np.ndarray
    updated_ms: np.ndarray
    category: np.ndarray  # index into D.CATEGORIES
    price_cents: np.ndarray
    cost_cents: np.ndarray
    stock: np.ndarray
    active: np.ndarray
    popularity: np.ndarray
    skus: list[str]
    names: list[str]
    description_idx: np.ndarray


def expected_order_value_cents(price_cents: np.ndarray, weights: np.ndarray, plan: TenantPlan) -> float:
    """Expected order total given item-level popularity weights (used to solve the price elasticity)."""
    p = weights / weights.sum()
    qty = sum(q * w for q, w in D.QUANTITY_PROBS) / sum(w for _, w in D.QUANTITY_PROBS)
    items = 1 + D.ITEMS_EXTRA_MEAN
    discount = D.DISCOUNT_LINE_SHARE * sum(D.DISCOUNT_FRACTION) / 2
    subtotal = items * qty * float(p @ price_cents) * (1 - discount)
    shipping = plan.shipping_fee_cents if subtotal < plan.free_shipping_cents else 0
    return subtotal * (1 + plan.tax_rate) + shipping


def _solve_elasticity(price_cents: np.ndarray, rank_weight: np.ndarray, plan: TenantPlan) -> float:
    """Price elasticity alpha so that the expected order value meets the tenant's AOV target."""
    lo, hi = D.PRICE_ELASTICITY_BOUNDS
    rel = price_cents / np.median(price_cents)
    for _ in range(50):
        mid = (lo + hi) / 2
        if expected_order_value_cents(price_cents, rank_weight * rel ** -mid, plan) > plan.aov_target_cents:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def generate(spec: WorldSpec, plan: TenantPlan, pools: Pools) -> Catalog:
    rng = rng_for(spec.seed, plan.index, "products")
    w = spec.window
    n = plan.products
    shares = rng.dirichlet(np.asarray(D.CATEGORY_SHARES) * D.CATEGORY_CONCENTRATION)
    category = rng.choice(len(D.CATEGORIES), size=n, p=shares)
    price = np.empty(n)
    for c, name in enumerate(D.CATEGORIES):
        r = D.PRICE_RANGES[name]
        members = category == c
        price[members] = np.clip(D.lognormal(rng, r.median, r.sigma, int(members.sum())), r.low, r.high)
    # Shop prices end in .99 (or .00 for round luxury prices above $500).
    price_cents = np.where(price >= 500, np.round(price) * 100, np.floor(price) * 100 + 99).astype(np.int64)
    price_cents = np.clip(price_cents, int(D.PRICE_FLOOR * 100), int(D.PRICE_CEILING * 100) - 1)
    cost_cents = np.floor(price_cents * rng.uniform(*D.COST_RATIO, n)).astype(np.int64)
    cost_cents = np.clip(cost_cents, 1, price_cents - 1)
    stock = np.where(rng.random(n) < D.OUT_OF_STOCK_SHARE, 0,
                     np.maximum(1, D.lognormal(rng, D.STOCK_MEDIAN, D.STOCK_SIGMA, n).astype(np.int64)))
    active = rng.random(n) >= D.INACTIVE_PRODUCT_SHARE
    n_pre = max(1, int(round(n * D.PREEXISTING_PRODUCT_SHARE)))
    created = np.concatenate([D.sample_before(rng, n_pre, w, D.PREEXISTING_PRODUCT_MAX_DAYS),
                              D.sample_times(rng, n - n_pre, w)])
    order = np.argsort(created, kind="stable")
    created = created[order]
    category, price_cents, cost_cents, stock, active = (
        category[order], price_cents[order], cost_cents[order], stock[order], active[order])
    touched = rng.random(n) < 0.7  # price or stock changed since launch
    updated = np.where(touched, created + (rng.random(n) * (w.end_ms - 1 - created)).astype(np.int64), created)
    rank_weight = (rng.permutation(n) + 1.0) ** -D.POPULARITY_ZIPF
    alpha = _solve_elasticity(price_cents, rank_weight, plan)
    popularity = rank_weight * (price_cents / np.median(price_cents)) ** -alpha
    adj = rng.integers(0, 12, n)
    brand = rng.integers(0, len(BRANDS), n)
    noun = rng.integers(0, 15, n)
    names = [f"{ADJECTIVES[D.CATEGORIES[c]][a]} {BRANDS[b]} {NOUNS[D.CATEGORIES[c]][m]}"
             for c, a, b, m in zip(category.tolist(), adj.tolist(), brand.tolist(), noun.tolist(), strict=True)]
    skus = [f"{SKU_PREFIX[D.CATEGORIES[c]]}-{10001 + i}" for i, c in enumerate(category.tolist())]
    return Catalog(n=n, ids=C.new_ids(rng, created), created_ms=created, updated_ms=updated, category=category,
                   price_cents=price_cents, cost_cents=cost_cents, stock=stock, active=active,
                   popularity=popularity, skus=skus, names=names,
                   description_idx=rng.integers(0, len(pools.sentences), n))


def encode_rows(plan: TenantPlan, pools: Pools, cat: Catalog) -> tuple[tuple[str, ...], list[list[str]]]:
    descriptions = [copy_escape(s) for s in pools.sentences]
    return COLUMNS, [
        C.text(cat.ids), C.constant(str(plan.tenant_id), cat.n), C.timestamps(cat.created_ms),
        C.timestamps(cat.updated_ms), cat.skus, [copy_escape(s) for s in cat.names],
        C.pick(descriptions, cat.description_idx), C.pick(D.CATEGORIES, cat.category),
        C.money(cat.price_cents), C.money(cat.cost_cents), C.ints(cat.stock), C.bools(cat.active),
    ]
