"""Orders and their items: who buys what, when, for how much, and where the order stands.

Integrity by construction (all money in integer cents, so sums are exact):
item ``total = quantity * unit_price - discount``; order ``subtotal = sum(item totals)``,
``total = subtotal + tax + shipping``; ``completed_at`` only for completed orders and after
``order_date``; buyers signed up (and had not churned) before ordering; items reference
products launched before the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeding import copytext as C
from seeding import distributions as D
from seeding.generators.base import prefix_choice, weighted_sample_without_replacement
from seeding.generators.customers import CustomerCore
from seeding.generators.products import Catalog
from seeding.pools import Pools, json_literal
from seeding.world import TenantPlan, WorldSpec, rng_for

ORDER_COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "customer_id", "order_number", "status",
                 "subtotal", "tax", "shipping", "total", "order_date", "completed_at", "metadata")
ITEM_COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "order_id", "product_id", "quantity",
                "unit_price", "discount", "total")
STATUSES = tuple(D.ORDER_STATUS_MIX)


@dataclass
class Orders:
    n: int
    ids: np.ndarray
    date_ms: np.ndarray  # sorted
    customer: np.ndarray  # index into CustomerCore
    status: np.ndarray  # index into STATUSES
    subtotal: np.ndarray
    tax: np.ndarray
    shipping: np.ndarray
    total: np.ndarray
    completed_ms: np.ndarray  # valid where status == completed
    updated_ms: np.ndarray
    payment_idx: np.ndarray
    channel_idx: np.ndarray  # -1 = web (tracked by a purchase session)
    session_ids: np.ndarray  # S32 hex, b"" when not tracked
    item_start: np.ndarray  # first item index of each order
    n_items: np.ndarray
    # items
    item_product: np.ndarray
    item_qty: np.ndarray
    item_price: np.ndarray
    item_discount: np.ndarray
    item_total: np.ndarray
    item_ids: np.ndarray

    @property
    def n_lines(self) -> int:
        return int(self.item_product.shape[0])

    def per_customer(self, n_customers: int) -> tuple[np.ndarray, np.ndarray]:
        """(order count, last order ms or 0) per customer."""
        count = np.bincount(self.customer, minlength=n_customers)
        last = np.zeros(n_customers, dtype=np.int64)
        np.maximum.at(last, self.customer, self.date_ms)
        return count, last


def _assign_customers(rng: np.random.Generator, core: CustomerCore, at_ms: np.ndarray) -> np.ndarray:
    """Weighted buyers who had signed up (one hour earlier) and not yet churned."""
    available = core.created_ms + D.FIRST_ORDER_MIN_MS
    buyer = prefix_choice(rng, available, core.weight, at_ms)
    for _ in range(4):
        bad = np.flatnonzero(core.churn_ms[buyer] < at_ms)
        if bad.size == 0:
            return buyer
        buyer[bad] = prefix_choice(rng, available, core.weight, at_ms[bad])
    bad = np.flatnonzero(core.churn_ms[buyer] < at_ms)
    if bad.size:
        stayers = np.where(core.churn_ms == np.iinfo(np.int64).max, core.weight, 0.0)
        buyer[bad] = prefix_choice(rng, available, stayers, at_ms[bad])
    return buyer


def _statuses(rng: np.random.Generator, date_ms: np.ndarray, end_ms: int) -> np.ndarray:
    """The order status mix (docs/REQUIREMENTS.md), with pending/processing drawn towards the most recent orders."""
    n = date_ms.shape[0]
    counts = rng.multinomial(n, list(D.ORDER_STATUS_MIX.values()))
    status = np.full(n, STATUSES.index("completed"), dtype=np.int64)
    age_days = (end_ms - date_ms) / D.MS_PER_DAY
    free = np.ones(n, dtype=bool)
    for name, tau in (("pending", D.PENDING_RECENCY_DAYS), ("processing", D.PROCESSING_RECENCY_DAYS),
                      ("cancelled", None)):
        k = int(counts[STATUSES.index(name)])
        candidates = np.flatnonzero(free)
        weights = np.ones(candidates.size) if tau is None else np.exp(-age_days[candidates] / tau)
        chosen = candidates[weighted_sample_without_replacement(rng, weights, k)]
        status[chosen] = STATUSES.index(name)
        free[chosen] = False
    return status


def _lag(rng: np.random.Generator, spec: tuple[float, float], start_ms: np.ndarray, end_ms: int) -> np.ndarray:
    """``start + lognormal hours``, kept strictly after start and strictly before the window end."""
    lag = (D.lognormal(rng, spec[0], spec[1], start_ms.shape[0]) * D.MS_PER_HOUR).astype(np.int64)
    room = np.maximum(end_ms - 1 - start_ms, 1)
    lag = np.where(lag >= room, (rng.random(start_ms.shape[0]) * room).astype(np.int64), lag)
    return start_ms + np.clip(lag, 1, room)


def generate(spec: WorldSpec, plan: TenantPlan, core: CustomerCore, cat: Catalog, tracked_share: float) -> Orders:
    rng = rng_for(spec.seed, plan.index, "orders")
    end = spec.window.end_ms
    n = plan.orders
    date_ms = np.sort(D.sample_times(rng, n, spec.window))
    customer = _assign_customers(rng, core, date_ms)
    status = _statuses(rng, date_ms, end)
    completed = status == STATUSES.index("completed")
    completed_ms = _lag(rng, D.FULFILMENT_HOURS, date_ms, end)
    updated = date_ms.copy()
    updated[completed] = completed_ms[completed]
    for name, lag in (("processing", D.PROCESSING_HOURS), ("cancelled", D.CANCEL_HOURS)):
        sel = status == STATUSES.index(name)
        updated[sel] = _lag(rng, lag, date_ms[sel], end)

    # Items: 1 + Poisson lines per order, products launched before the order.
    irng = rng_for(spec.seed, plan.index, "items")
    n_items = 1 + np.minimum(irng.poisson(D.ITEMS_EXTRA_MEAN, n), D.MAX_ITEMS_PER_ORDER - 1)
    item_start = np.concatenate([[0], np.cumsum(n_items)[:-1]])
    item_order = np.repeat(np.arange(n), n_items)
    item_at = date_ms[item_order]
    product = prefix_choice(irng, cat.created_ms, cat.popularity, item_at)
    # One line per product: redraw a line that repeats the previous product of its order.
    dup = np.flatnonzero((product[1:] == product[:-1]) & (item_order[1:] == item_order[:-1])) + 1
    if dup.size:
        product[dup] = prefix_choice(irng, cat.created_ms, cat.popularity, item_at[dup])
    qty_values = np.asarray([q for q, _ in D.QUANTITY_PROBS])
    qty = qty_values[D.choice(irng, tuple((str(q), w) for q, w in D.QUANTITY_PROBS), item_order.size)]
    price = cat.price_cents[product]
    gross = qty * price
    has_discount = irng.random(item_order.size) < D.DISCOUNT_LINE_SHARE
    discount = np.where(has_discount, np.round(gross * irng.uniform(*D.DISCOUNT_FRACTION, item_order.size)),
                        0).astype(np.int64)
    line_total = gross - discount
    subtotal = np.add.reduceat(line_total, item_start)
    rate_bp = int(round(plan.tax_rate * 10000))
    tax = (subtotal * rate_bp + 5000) // 10000
    shipping = np.where(subtotal >= plan.free_shipping_cents, 0, plan.shipping_fee_cents).astype(np.int64)

    tracked = rng.random(n) < tracked_share
    channel = np.where(tracked, -1, D.choice(rng, D.UNTRACKED_CHANNELS, n))
    session_raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    sessions = np.where(tracked, C.hex_strings(session_raw), b"")
    return Orders(
        n=n, ids=C.new_ids(rng, date_ms), date_ms=date_ms, customer=customer, status=status,
        subtotal=subtotal, tax=tax, shipping=shipping, total=subtotal + tax + shipping,
        completed_ms=completed_ms, updated_ms=updated, payment_idx=D.choice(rng, D.PAYMENT_METHODS, n),
        channel_idx=channel, session_ids=sessions, item_start=item_start, n_items=n_items,
        item_product=product, item_qty=qty, item_price=price, item_discount=discount, item_total=line_total,
        item_ids=C.new_ids(irng, item_at),
    )


def encode_orders(plan: TenantPlan, pools: Pools, core: CustomerCore, o: Orders, lo: int, hi: int) -> list[list[str]]:
    sl = slice(lo, hi)
    cust = o.customer[sl]
    streets = [json_literal(s) for s in pools.streets]
    cities = [(json_literal(c), json_literal(s), json_literal(p)) for c, s, p in pools.cities]
    payments = [m for m, _ in D.PAYMENT_METHODS]
    channels = [c for c, _ in D.UNTRACKED_CHANNELS]
    metadata = []
    for street_i, city_i, pay, chan, sess, items in zip(
            core.street_idx[cust].tolist(), core.city_idx[cust].tolist(), o.payment_idx[sl].tolist(),
            o.channel_idx[sl].tolist(), C.text(o.session_ids[sl]), o.n_items[sl].tolist(), strict=True):
        city, state, postcode = cities[city_i]
        channel = f'"web", "session_id": "{sess}"' if chan < 0 else f'"{channels[chan]}"'
        metadata.append(
            f'{{"payment_method": "{payments[pay]}", "channel": {channel}, "items": {items}, '
            f'"shipping_address": {{"street": {streets[street_i]}, "city": {city}, "state": {state}, '
            f'"postcode": {postcode}, "country": "US"}}}}')
    completed = o.status[sl] == STATUSES.index("completed")
    return [
        C.text(o.ids[sl]), C.constant(str(plan.tenant_id), hi - lo), C.timestamps(o.date_ms[sl]),
        C.timestamps(o.updated_ms[sl]), C.text(core.ids[cust]),
        [f"ORD-{i + 100001:07d}" for i in range(lo, hi)], C.pick(STATUSES, o.status[sl]),
        C.money(o.subtotal[sl]), C.money(o.tax[sl]), C.money(o.shipping[sl]), C.money(o.total[sl]),
        C.timestamps(o.date_ms[sl]), C.nullable_timestamps(o.completed_ms[sl], completed), metadata,
    ]


def encode_items(plan: TenantPlan, cat: Catalog, o: Orders, lo: int, hi: int) -> list[list[str]]:
    sl = slice(lo, hi)
    order_idx = np.searchsorted(o.item_start, np.arange(lo, hi), side="right") - 1
    at = C.timestamps(o.date_ms[order_idx])
    return [
        C.text(o.item_ids[sl]), C.constant(str(plan.tenant_id), hi - lo), at, at, C.text(o.ids[order_idx]),
        C.text(cat.ids[o.item_product[sl]]), C.ints(o.item_qty[sl]), C.money(o.item_price[sl]),
        C.money(o.item_discount[sl]), C.money(o.item_total[sl]),
    ]
