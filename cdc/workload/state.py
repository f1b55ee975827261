"""What the workload knows about a tenant, and the names it writes under.

A :class:`TenantState` is a sample of one tenant (customers and products in repeat-draw urns,
open orders, subscriptions, invoices), its pace and its agenda, kept current
by the workload's own committed writes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cdc.workload.pace import Agenda, Pace, Urn
from cdc.workload.sql import table
from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from seeding import distributions as D

#: Bounded working sets: a long run must not grow memory without limit.
MAX_TRACKED = 5000
#: Ledger keys: the tables the workload writes (from the models).
T_CUSTOMER, T_PRODUCT, T_ORDER = table(Customer), table(Product), table(Order)
T_ITEM, T_EVENT, T_SUB, T_INVOICE = table(OrderItem), table(Event), table(Subscription), table(Invoice)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ProductRef:
    id: uuid.UUID
    sku: str
    category: str
    price: Decimal


@dataclass
class TenantState:
    """What the simulator knows about one tenant (a sample, kept current by its own writes)."""

    tenant_id: uuid.UUID
    customers: Urn
    products: Urn
    pace: Pace = field(default_factory=lambda: Pace.measured((0, 0, 0, 0, 0), 1))
    agenda: Agenda = field(default_factory=Agenda)
    subscriptions: list[uuid.UUID] = field(default_factory=list)
    open_invoices: list[uuid.UUID] = field(default_factory=list)
    test_customers: list[uuid.UUID] = field(default_factory=list)
    next_order: int = 0
    next_invoice: int = 0
    #: Orders per status (kept current by the workload's own moves) and the open orders found
    #: at start, oldest first, which move on only while their status holds more than its share.
    status: Counter[str] = field(default_factory=Counter)
    backlog: dict[str, deque[uuid.UUID]] = field(default_factory=lambda: {"pending": deque(), "processing": deque()})
    released: Counter[str] = field(default_factory=Counter)
    tax_rate: Decimal = Decimal("0.07")
    shipping_fee: Decimal = Decimal(D.SHIPPING_FEES_CENTS[1]) / 100
    free_shipping: Decimal = Decimal(D.FREE_SHIPPING_THRESHOLDS_CENTS[1]) / 100


def track(items: list[Any], item: Any) -> None:
    items.append(item)
    if len(items) > MAX_TRACKED:
        del items[: len(items) - MAX_TRACKED]


def discard(items: list[Any], item: Any) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
