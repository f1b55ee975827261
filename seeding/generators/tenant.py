"""One tenant's generated data, built lazily in dependency order and cached.

``seed_orders`` alone regenerates customers and products in memory (cheap and identical to
what ``seed_customers`` loaded) so the foreign keys line up without reading the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from seeding import tables as T
from seeding.generators import billing, customers, events, orders, products
from seeding.generators.base import Batch, batches
from seeding.pools import Pools, pools
from seeding.world import TenantPlan, WorldSpec

#: Seeding units in dependency order (docs/REQUIREMENTS.md), and the tables each one writes.
UNITS: dict[str, tuple[str, ...]] = T.UNIT_TABLES


class TenantData:
    def __init__(self, spec: WorldSpec, plan: TenantPlan) -> None:
        self.spec = spec
        self.plan = plan

    @cached_property
    def pools(self) -> Pools:
        return pools(self.spec.seed)

    @cached_property
    def customers(self) -> customers.CustomerCore:
        return customers.generate_core(self.spec, self.plan, self.pools)

    @cached_property
    def catalog(self) -> products.Catalog:
        return products.generate(self.spec, self.plan, self.pools)

    @cached_property
    def orders(self) -> orders.Orders:
        _, tracked_share = events.session_plan(self.plan)
        return orders.generate(self.spec, self.plan, self.customers, self.catalog, tracked_share)

    @cached_property
    def subscriptions(self) -> billing.Subscriptions:
        return billing.generate_subscriptions(self.spec, self.plan, self.customers)

    @cached_property
    def invoices(self) -> billing.Invoices:
        return billing.generate_invoices(self.spec, self.plan, self.customers, self.subscriptions)

    def unit_batches(self, unit: str, batch_size: int) -> Iterator[Batch]:
        """COPY batches of one seeding unit, parents before children."""
        plan, pl = self.plan, self.pools
        if unit == "customers":
            count, last = self.orders.per_customer(self.customers.n)
            cols, data = customers.encode_rows(self.spec, plan, pl, self.customers, count, last)
            yield from batches(T.CUSTOMER, cols, self.customers.n, batch_size,
                               lambda lo, hi: [c[lo:hi] for c in data])
        elif unit == "products":
            cols, data = products.encode_rows(plan, pl, self.catalog)
            yield from batches(T.PRODUCT, cols, self.catalog.n, batch_size,
                               lambda lo, hi: [c[lo:hi] for c in data])
        elif unit == "subscriptions":
            s = self.subscriptions
            yield from batches(T.SUBSCRIPTION, billing.SUB_COLUMNS, s.n, batch_size,
                               lambda lo, hi: [c[lo:hi] for c in billing.encode_subscriptions(plan, self.customers, s)])
        elif unit == "orders":
            o = self.orders
            yield from batches(T.ORDER, orders.ORDER_COLUMNS, o.n, batch_size,
                               lambda lo, hi: orders.encode_orders(plan, pl, self.customers, o, lo, hi))
            yield from batches(T.ORDER_ITEM, orders.ITEM_COLUMNS, o.n_lines, batch_size,
                               lambda lo, hi: orders.encode_items(plan, self.catalog, o, lo, hi))
        elif unit == "events":
            gen = events.EventGenerator(self.spec, plan, pl, self.customers, self.catalog, self.orders)
            yield from gen.batches(batch_size)
        elif unit == "invoices":
            inv = self.invoices
            yield from batches(T.INVOICE, billing.INVOICE_COLUMNS, inv.n, batch_size,
                               lambda lo, hi: billing.encode_invoices(plan, self.customers, self.subscriptions,
                                                                      inv, lo, hi))
        else:
            raise ValueError(f"unknown seeding unit {unit!r}; choose one of {', '.join(UNITS)}")
