"""Property 7, side channels: what the app role under T can learn about other tenants.

Each probe compares what T observes when it names another tenant's data with what it
observes when it names data that exists nowhere. Equal observations mean the channel is
closed; a difference is an :class:`IsolationViolation`.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from rls.sql import qn
from tenancy import tenant_context
from tests.isolation.model import IsolationViolation, tables
from tests.isolation.worlds import BASE_DATE

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: child model, foreign key field, parent table
FOREIGN_KEYS = [
    (Order, "customer", "models_app_customer"), (Subscription, "customer", "models_app_customer"),
    (Invoice, "customer", "models_app_customer"), (Event, "customer", "models_app_customer"),
    (OrderItem, "order", "models_app_order"), (OrderItem, "product", "models_app_product"),
]


def _child(model: type, field: str, parent_id: uuid.UUID, own: dict[str, uuid.UUID]) -> Any:
    """An unsaved child whose ``field`` points at ``parent_id``; other parents are T's own."""
    fk = {f"{field}_id": parent_id}
    if model is Order:
        return Order(order_number=f"P-{uuid.uuid4().hex[:8]}", **fk)
    if model is Subscription:
        return Subscription(plan_name="P", start_date=BASE_DATE, monthly_amount=Decimal("1"), **fk)
    if model is Invoice:
        return Invoice(invoice_number=f"P-{uuid.uuid4().hex[:8]}", amount=Decimal("1"), issue_date=BASE_DATE,
                       due_date=BASE_DATE, **fk)
    if model is Event:
        return Event(event_type="click", session_id="probe", **fk)
    other = {"order_id": own["models_app_order"], "product_id": own["models_app_product"], **fk}
    return OrderItem(quantity=1, unit_price=Decimal("1"), total=Decimal("1"), **other)


def observe(write: Any, *secrets: object) -> tuple[str, ...]:
    """Run ``write`` in a savepoint that is always rolled back; what did the caller see?"""
    try:
        with transaction.atomic():
            write()
            transaction.set_rollback(True)
        return ("ok",)
    except DatabaseError as exc:
        cause = exc.__cause__
        code = getattr(cause, "pgcode", None) or type(exc).__name__
        diag = getattr(cause, "diag", None)
        text = " | ".join(filter(None, [getattr(diag, "message_primary", None) or str(exc),
                                        getattr(diag, "message_detail", None)]))
        for secret in secrets:
            text = text.replace(str(secret), "<probe>")
        return (str(code), text)


def probe_foreign_key(tenant: uuid.UUID, model: type, field: str, foreign_parent: uuid.UUID,
                      own: dict[str, uuid.UUID]) -> None:
    """Naming another tenant's parent must look exactly like naming a parent that does not exist."""
    unknown = uuid.uuid4()
    with tenant_context(tenant):
        seen_foreign = observe(lambda: _child(model, field, foreign_parent, own).save(), foreign_parent)
        seen_unknown = observe(lambda: _child(model, field, unknown, own).save(), unknown)
    if seen_foreign != seen_unknown:
        raise IsolationViolation(f"{model.__name__}.{field}: a foreign parent gives {seen_foreign}, "
                                 f"an unknown one {seen_unknown}")


def probe_unique(tenant: uuid.UUID, table: str, foreign_value: str) -> None:
    """Reusing another tenant's business key must look like using a fresh one."""
    fresh = f"fresh-{uuid.uuid4().hex[:10]}"

    def insert(value: str) -> None:
        if table == "models_app_customer":
            Customer(email=value, first_name="U", last_name="P").save()
        else:
            Product(sku=value, name="p", category="Books", price=Decimal("2"), cost=Decimal("1")).save()

    with tenant_context(tenant):
        seen_foreign = observe(lambda: insert(foreign_value), foreign_value)
        seen_fresh = observe(lambda: insert(fresh), fresh)
    if seen_foreign != seen_fresh:
        raise IsolationViolation(f"{table}: another tenant's key {foreign_value!r} gives {seen_foreign}, "
                                 f"a fresh one {seen_fresh}")


def pg_stats_rows(tenant: uuid.UUID) -> list[tuple[str, str]]:
    """Statistics rows about tenant tables that the app role can read under T."""
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT tablename, attname FROM pg_stats WHERE schemaname = 'public' "
                       "AND tablename = ANY(%s)", [tables()])
        rows = cursor.fetchall()
        cursor.execute("SELECT to_regclass('pg_catalog.pg_stats_ext') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT tablename, statistics_name FROM pg_stats_ext WHERE tablename = ANY(%s)",
                           [tables()])
            rows += cursor.fetchall()
    return rows


def check_pg_stats(tenant: uuid.UUID) -> None:
    rows = pg_stats_rows(tenant)
    if rows:
        raise IsolationViolation(f"pg_stats shows the app role statistics of {sorted(set(r[0] for r in rows))}")


def counter_columns() -> dict[str, list[str]]:
    """Columns of tenant tables filled from a sequence or an identity (global counters)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
                       "'public' AND table_name = ANY(%s) AND (column_default LIKE 'nextval(%%' OR is_identity = "
                       "'YES')", [tables()])
        out: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            out.setdefault(table, []).append(column)
    return out


def probe_counters(tenant: uuid.UUID, other: uuid.UUID, others_inserts: int) -> None:
    """T inserts, another tenant inserts ``others_inserts`` rows, T inserts again: does T see a gap?"""
    def add(t: uuid.UUID) -> uuid.UUID:
        with tenant_context(t):
            return Customer.objects.create(email=f"seq-{uuid.uuid4().hex[:10]}@x.org", first_name="S",
                                           last_name="Q").id
    first = add(tenant)
    for _ in range(others_inserts):
        add(other)
    second = add(tenant)
    for column in counter_columns().get("models_app_customer", []):
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(f"SELECT {qn(column)} FROM models_app_customer WHERE id = ANY(%s) ORDER BY created_at",
                           [[first, second]])
            a, b = (r[0] for r in cursor.fetchall())
        if b - a != 1:
            raise IsolationViolation(f"models_app_customer.{column} jumped by {b - a} between two of T's inserts: "
                                     f"T learns that others inserted {b - a - 1} rows")
