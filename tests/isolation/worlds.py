"""Random multi-tenant worlds: a Hypothesis strategy, a seeded twin, and the builder.

A *spec* is plain data (no database): per tenant, rows of every domain table whose parent
references are indices into the same tenant's parents, plus hostile payloads that reuse
another tenant's ids in a foreign key or in ``tenant_id``. Field values come from tiny
pools, so tenants collide on emails, SKUs, order numbers and names: filters on those
values must still return only the current tenant's rows.

The same drawing code runs on Hypothesis (``world_specs()``: shrinkable worlds, one per
example) and on ``random.Random`` (``seeded_spec(seed)``: the larger committed world a
module builds once and then queries thousands of times).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db import DatabaseError, transaction
from hypothesis import strategies as st

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from tenancy import create_tenant, tenant_context
from tests.isolation.model import TENANT_TABLE, IsolationViolation, WorldModel

T = TypeVar("T")

FIRST_NAMES = ("Ada", "Bo", "Cy", "Zed")
PLANS = ("Basic", "Pro")
SESSIONS = ("s-1", "s-2", "s-3")
PRICES = (Decimal("5.00"), Decimal("10.00"), Decimal("25.00"), Decimal("99.99"))
BASE_DATE = dt.date(2024, 1, 1)
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
HOSTILE_KINDS = ("tenant_id", "foreign_key")


class Draw(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...
    def choice(self, seq: Sequence[T]) -> T: ...
    def subset(self, seq: Sequence[T], k: int) -> list[T]: ...


class HypothesisDraw:
    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return int(self.draw(st.integers(lo, hi)))

    def choice(self, seq: Sequence[T]) -> T:
        return self.draw(st.sampled_from(list(seq)))

    def subset(self, seq: Sequence[T], k: int) -> list[T]:
        return list(self.draw(st.lists(st.sampled_from(list(seq)), min_size=k, max_size=k, unique=True)))


class RandomDraw:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rnd.randint(lo, hi)

    def choice(self, seq: Sequence[T]) -> T:
        return self.rnd.choice(list(seq))

    def subset(self, seq: Sequence[T], k: int) -> list[T]:
        return self.rnd.sample(list(seq), k)


@dataclass
class TenantSpec:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class Hostile:
    kind: str  # "tenant_id" | "foreign_key"
    attacker: int
    victim: int
    table: str


@dataclass
class WorldSpec:
    tenants: list[TenantSpec]
    hostile: list[Hostile]


def _ref(d: Draw, n: int) -> int | None:
    return d.integer(0, n - 1) if n else None


def draw_tenant(d: Draw, scale: int) -> TenantSpec:
    """One tenant's rows; ``scale`` multiplies the maximum row counts."""
    spec = TenantSpec()
    n_cust = d.integer(0, 4 * scale)
    emails = d.subset([f"user{i}@example.com" for i in range(8 * scale)], n_cust)
    spec.rows["customer"] = [{"email": e, "first_name": d.choice(FIRST_NAMES), "is_active": d.choice((True, False))}
                             for e in emails]
    n_prod = d.integer(0, 3 * scale)
    skus = d.subset([f"SKU-{i}" for i in range(6 * scale)], n_prod)
    spec.rows["product"] = [{"sku": s, "category": d.choice(Product.Category.values), "price": d.choice(PRICES),
                             "stock_quantity": d.integer(0, 50)} for s in skus]
    subs, orders, items, events, invoices = [], [], [], [], []
    if n_cust:
        subs = [{"customer": _ref(d, n_cust), "plan_name": d.choice(PLANS),
                 "status": d.choice(Subscription.Status.values), "days": d.integer(0, 400)}
                for _ in range(d.integer(0, 3 * scale))]
        numbers = d.subset([f"ORD-{i}" for i in range(8 * scale)], d.integer(0, 4 * scale))
        orders = [{"customer": _ref(d, n_cust), "order_number": n, "status": d.choice(Order.Status.values),
                   "total": d.choice(PRICES)} for n in numbers]
        inv_numbers = d.subset([f"INV-{i}" for i in range(6 * scale)], d.integer(0, 3 * scale))
        invoices = [{"customer": _ref(d, n_cust), "subscription": _ref(d, len(subs)) if d.choice((True, False))
                     else None, "invoice_number": n, "status": d.choice(Invoice.Status.values),
                     "amount": d.choice(PRICES)} for n in inv_numbers]
    if orders and n_prod:
        items = [{"order": _ref(d, len(orders)), "product": _ref(d, n_prod), "quantity": d.integer(1, 5)}
                 for _ in range(d.integer(0, 5 * scale))]
    events = [{"customer": _ref(d, n_cust) if n_cust and d.choice((True, False)) else None,
               "event_type": d.choice(Event.Type.values), "session_id": d.choice(SESSIONS)}
              for _ in range(d.integer(0, 4 * scale))]
    spec.rows.update(subscription=subs, order=orders, orderitem=items, event=events, invoice=invoices)
    return spec


def draw_world(d: Draw, *, min_tenants: int = 2, max_tenants: int = 6, scale: int = 1,
               max_hostile: int = 4) -> WorldSpec:
    tenants = [draw_tenant(d, scale) for _ in range(d.integer(min_tenants, max_tenants))]
    hostile = []
    for _ in range(d.integer(0, max_hostile)):
        attacker, victim = d.subset(range(len(tenants)), 2)
        kind = d.choice(HOSTILE_KINDS)
        table = d.choice(("order", "orderitem", "subscription", "invoice", "event")
                         if kind == "foreign_key" else ("customer", "product", "event", "order"))
        hostile.append(Hostile(kind, attacker, victim, table))
    return WorldSpec(tenants, hostile)


@st.composite
def world_specs(draw: Callable[[Any], Any], max_tenants: int = 6) -> WorldSpec:
    return draw_world(HypothesisDraw(draw), max_tenants=max_tenants)


def seeded_spec(seed: int, *, tenants: int = 5, scale: int = 3) -> WorldSpec:
    """A larger world, reproducible from ``seed`` (printed by the fixtures that use it)."""
    return draw_world(RandomDraw(seed), min_tenants=tenants, max_tenants=tenants, scale=scale, max_hostile=8)


# --------------------------------------------------------------------------- building


def _objects(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """Model instances for one tenant's spec, parents linked by object (tenant_id left to the context)."""
    out: dict[str, list[Any]] = {}
    out["customer"] = [Customer(email=r["email"], first_name=r["first_name"], last_name="Doe",
                                is_active=r["is_active"]) for r in rows["customer"]]
    out["product"] = [Product(sku=r["sku"], name=r["sku"].lower(), category=r["category"], price=r["price"],
                              cost=r["price"] / 2, stock_quantity=r["stock_quantity"]) for r in rows["product"]]
    out["subscription"] = [Subscription(customer=out["customer"][r["customer"]], plan_name=r["plan_name"],
                                        status=r["status"], start_date=BASE_DATE + dt.timedelta(days=r["days"]),
                                        monthly_amount=Decimal("9.00")) for r in rows["subscription"]]
    out["order"] = [Order(customer=out["customer"][r["customer"]], order_number=r["order_number"],
                          status=r["status"], total=r["total"], subtotal=r["total"],
                          completed_at=BASE_TIME if r["status"] == "completed" else None) for r in rows["order"]]
    out["orderitem"] = [OrderItem(order=out["order"][r["order"]], product=out["product"][r["product"]],
                                  quantity=r["quantity"], unit_price=Decimal("5.00"),
                                  total=Decimal("5.00") * r["quantity"]) for r in rows["orderitem"]]
    out["event"] = [Event(customer=None if r["customer"] is None else out["customer"][r["customer"]],
                          event_type=r["event_type"], session_id=r["session_id"]) for r in rows["event"]]
    subs = out["subscription"]
    out["invoice"] = [Invoice(customer=out["customer"][r["customer"]],
                              subscription=None if r["subscription"] is None else subs[r["subscription"]],
                              invoice_number=r["invoice_number"], status=r["status"], amount=r["amount"],
                              issue_date=BASE_DATE, due_date=BASE_DATE + dt.timedelta(days=14))
                      for r in rows["invoice"]]
    return out


MODEL_FIELDS = {
    "customer": ("email", "first_name", "is_active"),
    "product": ("sku", "category", "price", "stock_quantity"),
    "subscription": ("customer_id", "plan_name", "status"),
    "order": ("customer_id", "order_number", "status", "total"),
    "orderitem": ("order_id", "product_id", "quantity"),
    "event": ("customer_id", "event_type", "session_id"),
    "invoice": ("customer_id", "subscription_id", "invoice_number", "status", "amount"),
}
LOAD_ORDER = ("customer", "product", "subscription", "order", "orderitem", "event", "invoice")


def table_of(key: str) -> str:
    return f"models_app_{key}"


def build_world(spec: WorldSpec) -> WorldModel:
    """Insert the world as the app role (one context per tenant) and return its model.

    Hostile payloads run last, each in a savepoint under the attacker's context; the
    database must refuse every one of them (otherwise :class:`IsolationViolation`).
    """
    world = WorldModel()
    built: list[dict[str, list[Any]]] = []
    for tenant_spec in spec.tenants:
        slug = f"iso-{uuid.uuid4().hex[:12]}"
        tenant = create_tenant(name=slug, slug=slug)
        world.tenants.append(tenant.id)
        world.add(TENANT_TABLE, tenant.id, tenant.id, slug=slug)
        objects = _objects(tenant_spec.rows)
        with tenant_context(tenant.id):
            for key in LOAD_ORDER:
                if objects[key]:
                    type(objects[key][0]).objects.bulk_create(objects[key])
                for obj in objects[key]:
                    world.add(table_of(key), obj.id, tenant.id, **{f: getattr(obj, f) for f in MODEL_FIELDS[key]})
        built.append(objects)
    for hostile in spec.hostile:
        _attempt_hostile(world, built, hostile)
    return world


def _hostile_object(world: WorldModel, built: list[dict[str, list[Any]]], h: Hostile) -> Any | None:
    victim = world.tenants[h.victim]
    victim_rows = built[h.victim]
    suffix = uuid.uuid4().hex[:8]
    if h.kind == "tenant_id":
        template = {
            "customer": lambda: Customer(email=f"evil-{suffix}@example.com", first_name="Eve", last_name="X"),
            "product": lambda: Product(sku=f"EVIL-{suffix}", name="evil", category="Books", price=Decimal("2"),
                                       cost=Decimal("1")),
            "event": lambda: Event(event_type="click", session_id="evil"),
            "order": lambda: Order(customer_id=_first_id(victim_rows["customer"]), order_number=f"EVIL-{suffix}"),
        }[h.table]()
        if h.table == "order" and template.customer_id is None:
            return None
        template.tenant_id = victim
        return template
    parent_of = {"order": "customer", "subscription": "customer", "invoice": "customer", "event": "customer",
                 "orderitem": "order"}
    parents = victim_rows[parent_of[h.table]]
    if not parents:
        return None
    parent = parents[0]
    return {
        "order": lambda: Order(customer_id=parent.id, order_number=f"EVIL-{suffix}"),
        "subscription": lambda: Subscription(customer_id=parent.id, plan_name="evil", start_date=BASE_DATE,
                                             monthly_amount=Decimal("1")),
        "invoice": lambda: Invoice(customer_id=parent.id, invoice_number=f"EVIL-{suffix}", amount=Decimal("1"),
                                   issue_date=BASE_DATE, due_date=BASE_DATE),
        "event": lambda: Event(customer_id=parent.id, event_type="click", session_id="evil"),
        "orderitem": lambda: OrderItem(order_id=parent.id, product_id=_first_id(victim_rows["product"]) or parent.id,
                                       quantity=1, unit_price=Decimal("1"), total=Decimal("1")),
    }[h.table]()


def _first_id(objs: list[Any]) -> uuid.UUID | None:
    return objs[0].id if objs else None


def _attempt_hostile(world: WorldModel, built: list[dict[str, list[Any]]], h: Hostile) -> None:
    obj = _hostile_object(world, built, h)
    if obj is None:
        return
    attacker = world.tenants[h.attacker]
    with tenant_context(attacker):
        try:
            with transaction.atomic():
                type(obj).objects.bulk_create([obj])
        except DatabaseError:
            world.refused.append((h.kind, h.table))
            return
    raise IsolationViolation(
        f"hostile {h.kind} insert into {h.table} by tenant #{h.attacker} naming tenant #{h.victim} was accepted"
    )
