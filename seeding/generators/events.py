"""Events: storefront sessions walking the funnel page_view -> ... -> purchase.

Sessions are sized so a tenant gets its planned event volume; a share of them (the funnel
conversion of docs/REQUIREMENTS.md) end in a purchase, and each purchase session *is* a real order: same
customer, its last event at the order's ``order_date``, its product views and cart adds the
order's lines, its ``purchase`` event naming the order. Other sessions stop at an earlier
step (bounces included), are anonymous or logged in, and only show products already
launched. Events are generated in time-ordered chunks so memory stays flat at any scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from seeding import copytext as C
from seeding import distributions as D
from seeding.generators.base import Batch, batches, prefix_choice
from seeding.generators.customers import CustomerCore
from seeding.generators.orders import Orders, _assign_customers
from seeding.generators.products import Catalog
from seeding.pools import Pools, copy_escape, json_literal
from seeding.tables import EVENT as EVENT_TABLE
from seeding.vocabulary import SEARCH_TERMS
from seeding.world import TenantPlan, WorldSpec, rng_for

COLUMNS = ("id", "tenant_id", "created_at", "updated_at", "event_type", "event_data", "session_id",
           "ip_address", "user_agent", "customer_id")
TYPES = ("page_view", "search", "click", "product_view", "add_to_cart", "remove_from_cart", "checkout", "purchase")
T = {name: i for i, name in enumerate(TYPES)}
#: Events per generation chunk (memory bound; part of the determinism contract).
EVENTS_PER_CHUNK = 50_000


def session_plan(plan: TenantPlan) -> tuple[int, float]:
    """(non-purchase session count, share of orders that have a purchase session)."""
    non_purchase_events, purchase_events = D.expected_events_per_session(1 + D.ITEMS_EXTRA_MEAN)
    conversion = D.session_conversion()
    sessions = plan.events / (non_purchase_events * (1 - conversion) + purchase_events * conversion)
    tracked_share = min(1.0, sessions * conversion / plan.orders)
    return int(round(sessions * (1 - conversion))), tracked_share


@dataclass
class _Sessions:
    start: np.ndarray
    duration: np.ndarray
    stage: np.ndarray  # 1..5
    customer: np.ndarray  # -1 = anonymous
    order: np.ndarray  # -1 = no purchase
    sid: np.ndarray  # S32 session keys


def _geometric_extra(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    return rng.geometric(1.0 / (1.0 + mean), n) - 1


class EventGenerator:
    def __init__(self, spec: WorldSpec, plan: TenantPlan, pools: Pools, core: CustomerCore, cat: Catalog,
                 orders: Orders) -> None:
        self.spec, self.plan, self.core, self.cat, self.orders = spec, plan, core, cat, orders
        rng = rng_for(spec.seed, plan.index, "sessions")
        n_browse, _ = session_plan(plan)
        self.browse_start = np.sort(D.sample_times(rng, n_browse, spec.window))
        stage_p = D.funnel_stage_shares()[:4]
        self.browse_stage = 1 + rng.choice(4, size=n_browse, p=stage_p / stage_p.sum())
        self.tracked = np.flatnonzero(orders.channel_idx < 0)
        self.chunks = max(1, -(-plan.events // EVENTS_PER_CHUNK))
        w = spec.window
        self.edges = w.start_ms + (np.arange(self.chunks + 1) * (w.end_ms - w.start_ms)) // self.chunks
        self.agents = [copy_escape(a) for a in pools.user_agents]
        self.terms = [json_literal(t) for t in SEARCH_TERMS]
        self.skus = [json_literal(s) for s in cat.skus]

    def batches(self, batch_size: int) -> Iterator[Batch]:
        for j in range(self.chunks):
            cols, n = self._chunk(j)
            yield from batches(EVENT_TABLE, COLUMNS, n, batch_size,
                               lambda lo, hi, cols=cols: [c[lo:hi] for c in cols])

    def _sessions(self, rng: np.random.Generator, j: int) -> _Sessions:
        lo, hi = self.edges[j], self.edges[j + 1]
        b = slice(*np.searchsorted(self.browse_start, [lo, hi]))
        o = self.orders
        tracked = self.tracked[(o.date_ms[self.tracked] >= lo) & (o.date_ms[self.tracked] < hi)]
        start_b, stage_b = self.browse_start[b], self.browse_stage[b]
        nb, npur = start_b.size, tracked.size
        stage = np.concatenate([stage_b, np.full(npur, 5)])
        params = np.asarray(D.SESSION_SECONDS)
        pi = np.clip(stage - 2, 0, 3)
        duration = (D.lognormal(rng, 1.0, 1.0, nb + npur) ** params[pi, 1] * params[pi, 0] * 1000).astype(np.int64)
        duration = np.clip(duration, 10_000, D.SESSION_SECONDS_MAX * 1000)
        bounce = np.zeros(nb + npur, dtype=bool)
        bounce[:nb] = (stage_b == 1) & (rng.random(nb) < D.BOUNCE_SHARE_OF_BROWSE)
        duration[bounce] = 0
        end = self.spec.window.end_ms
        duration[:nb] = np.minimum(duration[:nb], np.maximum(end - 1 - start_b, 0))
        buyer = o.customer[tracked]
        order_at = o.date_ms[tracked]
        earliest = np.maximum(self.core.created_ms[buyer], self.spec.window.start_ms)
        duration[nb:] = np.clip(np.minimum(duration[nb:], order_at - earliest), 0, None)
        start = np.concatenate([start_b, order_at - duration[nb:]])
        customer = np.full(nb + npur, -1, dtype=np.int64)
        auth = rng.random(nb) < np.asarray(D.AUTHENTICATED_SHARE)[stage_b - 1]
        if auth.any():
            customer[np.flatnonzero(auth)] = _assign_customers(rng, self.core, start_b[auth])
        customer[nb:] = buyer
        raw = rng.integers(0, 256, size=(nb, 16), dtype=np.uint8)
        sid = np.concatenate([C.hex_strings(raw), o.session_ids[tracked]])
        order = np.concatenate([np.full(nb, -1), tracked])
        self._bounce = bounce
        return _Sessions(start, duration, stage, customer, order, sid)

    def _chunk(self, j: int) -> tuple[list[list[str]], int]:
        rng = rng_for(self.spec.seed, self.plan.index, "events", chunk=j)
        s = self._sessions(rng, j)
        o, cat = self.orders, self.cat
        m = s.stage.size
        purchase = s.order >= 0
        n_lines = np.where(purchase, o.n_items[np.maximum(s.order, 0)], 0)
        cnt = np.zeros((m, len(TYPES)), dtype=np.int64)
        cnt[:, T["page_view"]] = np.where(self._bounce, 1, 1 + _geometric_extra(rng, D.EXTRA_PAGE_VIEWS_MEAN, m)
                                          + ((s.stage == 1) & ~self._bounce))
        deep = s.stage >= 2
        cnt[:, T["search"]] = deep & (rng.random(m) < D.SEARCH_SHARE)
        cnt[:, T["click"]] = np.where(deep, rng.poisson(D.CLICKS_MEAN, m), 0)
        cnt[:, T["product_view"]] = np.where(purchase, n_lines,
                                             np.where(deep, 1 + rng.poisson(D.EXTRA_PRODUCT_VIEWS_MEAN, m), 0))
        cart = s.stage >= 3
        cnt[:, T["add_to_cart"]] = np.where(purchase, n_lines,
                                            np.where(cart, 1 + rng.poisson(D.EXTRA_CART_ADDS_MEAN, m), 0))
        cnt[:, T["remove_from_cart"]] = cart & ~purchase & (rng.random(m) < D.REMOVE_FROM_CART_SHARE)
        cnt[:, T["checkout"]] = s.stage >= 4
        cnt[:, T["purchase"]] = purchase
        flat = cnt.ravel()
        total = cnt.sum(axis=1)
        n = int(total.sum())
        session = np.repeat(np.arange(m), total)
        etype = np.repeat(np.tile(np.arange(len(TYPES)), m), flat)
        group_first = np.cumsum(flat) - flat
        ordinal = np.arange(n) - np.repeat(group_first, flat)
        first = np.cumsum(total) - total
        gaps = rng.exponential(size=n)
        gaps[first[total > 0]] = 0.0
        cs = np.cumsum(gaps)
        rel = cs - np.repeat(cs[first], total)
        last = np.repeat(rel[first + total - 1], total)
        frac = np.divide(rel, last, out=np.zeros(n), where=last > 0)
        ts = np.repeat(s.start, total) + (frac * np.repeat(s.duration, total)).astype(np.int64)

        # Products: the order's lines in purchase sessions, launched products elsewhere.
        is_prod = np.isin(etype, [T["product_view"], T["add_to_cart"], T["remove_from_cart"]])
        ev_order = s.order[session]
        from_order = is_prod & (ev_order >= 0)
        product = np.full(n, -1, dtype=np.int64)
        line = o.item_start[np.maximum(ev_order, 0)] + ordinal
        product[from_order] = o.item_product[line[from_order]]
        other = np.flatnonzero(is_prod & (ev_order < 0))
        product[other] = prefix_choice(rng, cat.created_ms, cat.popularity, ts[other])
        qty = np.ones(n, dtype=np.int64)
        qty[from_order] = o.item_qty[line[from_order]]

        data = np.empty(n, dtype=object)
        page = rng.integers(0, len(D.PAGES), n)
        ref = D.choice(rng, D.REFERRERS, m)
        device = D.choice(rng, D.DEVICE_SHARES, m)
        refs = [r for r, _ in D.REFERRERS]
        devices = [d for d, _ in D.DEVICE_SHARES]
        idx = np.flatnonzero(etype == T["page_view"])
        data[idx] = [f'{{"url": "{D.PAGES[p]}", "referrer": "{refs[r]}", "device": "{devices[d]}"}}'
                     for p, r, d in zip(page[idx].tolist(), ref[session[idx]].tolist(),
                                        device[session[idx]].tolist(), strict=True)]
        idx = np.flatnonzero(etype == T["search"])
        data[idx] = [f'{{"search_term": {self.terms[t]}, "results": {k}}}'
                     for t, k in zip(rng.integers(0, len(self.terms), idx.size).tolist(),
                                     rng.integers(0, 120, idx.size).tolist(), strict=True)]
        idx = np.flatnonzero(etype == T["click"])
        data[idx] = [f'{{"element": "{D.CLICK_ELEMENTS[e]}", "url": "{D.PAGES[p]}"}}'
                     for e, p in zip(rng.integers(0, len(D.CLICK_ELEMENTS), idx.size).tolist(),
                                     page[idx].tolist(), strict=True)]
        pids = C.text(cat.ids)
        prices = C.money(cat.price_cents)
        for kind in ("product_view", "add_to_cart", "remove_from_cart"):
            idx = np.flatnonzero(etype == T[kind])
            if kind == "product_view":
                data[idx] = [f'{{"product_id": "{pids[p]}", "sku": {self.skus[p]}, '
                             f'"category": "{D.CATEGORIES[cat.category[p]]}", "price": "{prices[p]}"}}'
                             for p in product[idx].tolist()]
            elif kind == "add_to_cart":
                data[idx] = [f'{{"product_id": "{pids[p]}", "sku": {self.skus[p]}, "quantity": {q}, '
                             f'"price": "{prices[p]}"}}' for p, q in zip(product[idx].tolist(),
                                                                           qty[idx].tolist(), strict=True)]
            else:
                data[idx] = [f'{{"product_id": "{pids[p]}", "sku": {self.skus[p]}}}' for p in product[idx].tolist()]
        carts = np.flatnonzero(etype == T["add_to_cart"])
        cart_value = np.zeros(m, dtype=np.int64)
        np.add.at(cart_value, session[carts], cat.price_cents[product[carts]] * qty[carts])
        cart_value[purchase] = o.subtotal[s.order[purchase]]
        idx = np.flatnonzero(etype == T["checkout"])
        values = C.money(cart_value[session[idx]])
        data[idx] = [f'{{"cart_items": {k}, "cart_value": "{v}"}}'
                     for k, v in zip(cnt[session[idx], T["add_to_cart"]].tolist(), values, strict=True)]
        idx = np.flatnonzero(etype == T["purchase"])
        oi = s.order[session[idx]]
        totals = C.money(o.total[oi])
        order_ids = C.text(o.ids[oi])
        data[idx] = [f'{{"order_id": "{oid}", "order_number": "ORD-{k + 100001:07d}", "total": "{t}", '
                     f'"items": {o.n_items[k]}}}' for k, oid, t in zip(oi.tolist(), order_ids, totals, strict=True)]

        order = np.argsort(ts, kind="stable")
        ts, session, etype, data = ts[order], session[order], etype[order], data[order]
        ip_parts = rng.integers(1, 255, size=(m, 4))
        ip_parts[:, 0] = rng.choice(np.asarray([23, 24, 45, 50, 64, 66, 68, 71, 73, 76, 98, 99, 104, 108, 174]), m)
        ips = np.asarray([f"{a}.{b}.{c}.{d}" for a, b, c, d in ip_parts.tolist()], dtype=object)
        agent = rng.integers(0, len(self.agents), m)
        buyer = s.customer[session]
        customers = C.text_or_null(buyer >= 0, self.core.ids[np.maximum(buyer, 0)])
        ev_ts = C.timestamps(ts)
        columns = [
            C.text(C.new_ids(rng, ts)), C.constant(str(self.plan.tenant_id), n), ev_ts, ev_ts,
            C.pick(TYPES, etype), data.tolist(), C.text(s.sid[session]),
            ips[session].tolist(), np.asarray(self.agents, dtype=object)[agent[session]].tolist(),
            customers,
        ]
        return columns, n
