"""Property 2, writes: random writes under T whose payloads name other tenants' ids.

Every operation either succeeds inside T or fails with a database error; afterwards
(the example *commits*, so the replication role can see the result) a digest of every
row that is not T's, taken through the replication role, is unchanged, and no row of any
tenant points at a parent of another tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from hypothesis import strategies as st

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from rls.sql import qn
from tenancy import tenant_context
from tests.isolation.model import IsolationViolation, model_for, tables, tenant_column, tenant_foreign_keys
from tests.isolation.worlds import BASE_DATE

EMAILS = [f"user{i}@example.com" for i in range(8)]


# ----------------------------------------------------------------- replication-role views


def digest_others(conn: Any, tenant: uuid.UUID) -> dict[str, tuple[int, str]]:
    """Row count and md5 of every row not belonging to ``tenant``, per table."""
    out = {}
    with conn.cursor() as cursor:
        for table in tables():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {qn(table)} t "
                f"WHERE {qn(tenant_column(table))} <> %s", [tenant],
            )
            out[table] = cursor.fetchone()
    return out


def cross_tenant_references(conn: Any) -> list[str]:
    found = []
    with conn.cursor() as cursor:
        for model, field in tenant_foreign_keys():
            child, parent = model._meta.db_table, field.related_model._meta.db_table
            cursor.execute(f"SELECT count(*) FROM {qn(child)} c JOIN {qn(parent)} p ON p.id = c.{qn(field.column)} "
                           "WHERE p.tenant_id <> c.tenant_id")
            count = cursor.fetchone()[0]
            if count:
                found.append(f"{count} rows of {child}.{field.column} point at another tenant's {parent}")
    return found


@dataclass
class Snapshot:
    tenant: uuid.UUID
    victims: list[uuid.UUID]
    mine: dict[str, list[uuid.UUID]]
    theirs: dict[str, list[uuid.UUID]]


def snapshot(conn: Any, tenant: uuid.UUID, tenants: list[uuid.UUID]) -> Snapshot:
    mine: dict[str, list[uuid.UUID]] = {}
    theirs: dict[str, list[uuid.UUID]] = {}
    with conn.cursor() as cursor:
        for table in tables():
            column = tenant_column(table)
            cursor.execute(f"SELECT {qn(column)}, id FROM {qn(table)} WHERE {qn(column)} = ANY(%s::uuid[]) "
                           "ORDER BY id", [[str(t) for t in tenants]])
            rows = cursor.fetchall()
            mine[table] = [uuid.UUID(str(r[1])) for r in rows if str(r[0]) == str(tenant)]
            theirs[table] = [uuid.UUID(str(r[1])) for r in rows if str(r[0]) != str(tenant)]
    return Snapshot(tenant, [t for t in tenants if t != tenant], mine, theirs)


# ------------------------------------------------------------------------ payload drawing


def _pick(data: st.DataObject, pool: list[Any], label: str) -> Any:
    """An element of a pool whose size depends on the database (which moves between examples).

    Hypothesis requires the *shape* of the draws to be reproducible, so we draw an index from
    a fixed range and wrap it, instead of ``sampled_from(pool)``.
    """
    return pool[data.draw(st.integers(0, 2**16), label=label) % len(pool)]


def _ids(data: st.DataObject, snap: Snapshot, table: str) -> list[uuid.UUID]:
    """1-3 ids: T's own, other tenants' or unknown ones (the hostile mix)."""
    picked = []
    for _ in range(data.draw(st.integers(1, 3), label="how many ids")):
        whose = data.draw(st.sampled_from(("mine", "theirs", "unknown")), label="whose id")
        pool = {"mine": snap.mine[table], "theirs": snap.theirs[table]}.get(whose) or [uuid.uuid4()]
        picked.append(_pick(data, pool, f"{table} id"))
    return list(dict.fromkeys(picked))


def _one(data: st.DataObject, snap: Snapshot, table: str) -> uuid.UUID:
    return _ids(data, snap, table)[0]


def _tenant_payload(data: st.DataObject, snap: Snapshot) -> uuid.UUID | None:
    """None (the context fills it), T itself, or a victim's id."""
    return data.draw(st.sampled_from([None, snap.tenant, *snap.victims]), label="tenant_id payload")


def _suffix() -> str:
    return uuid.uuid4().hex[:10]


def _new(data: st.DataObject, snap: Snapshot, table: str) -> Any:
    """An unsaved instance of ``table`` whose tenant and parents may be foreign."""
    tenant_id = _tenant_payload(data, snap)
    email = data.draw(st.sampled_from(EMAILS), label="email")
    builders: dict[str, Callable[[], Any]] = {
        "models_app_customer": lambda: Customer(email=email, first_name="New", last_name="Row"),
        "models_app_product": lambda: Product(sku=f"W-{_suffix()}", name="w", category="Books",
                                              price=Decimal("3"), cost=Decimal("1")),
        "models_app_order": lambda: Order(customer_id=_one(data, snap, "models_app_customer"),
                                          order_number=f"W-{_suffix()}"),
        "models_app_subscription": lambda: Subscription(customer_id=_one(data, snap, "models_app_customer"),
                                                        plan_name="W", start_date=BASE_DATE,
                                                        monthly_amount=Decimal("1")),
        "models_app_orderitem": lambda: OrderItem(order_id=_one(data, snap, "models_app_order"),
                                                  product_id=_one(data, snap, "models_app_product"),
                                                  quantity=1, unit_price=Decimal("1"), total=Decimal("1")),
        "models_app_event": lambda: Event(customer_id=_one(data, snap, "models_app_customer"),
                                          event_type="click", session_id="w"),
        "models_app_invoice": lambda: Invoice(customer_id=_one(data, snap, "models_app_customer"),
                                              subscription_id=_one(data, snap, "models_app_subscription"),
                                              invoice_number=f"W-{_suffix()}", amount=Decimal("1"),
                                              issue_date=BASE_DATE, due_date=BASE_DATE),
    }
    obj = builders[table]()
    obj.tenant_id = tenant_id
    return obj


DOMAIN_TABLES = [t for t in tables() if t.startswith("models_app_")]
TEXT_COLUMN = {"models_app_customer": "first_name", "models_app_product": "name", "models_app_order": "order_number",
               "models_app_subscription": "plan_name", "models_app_orderitem": None, "models_app_event": "session_id",
               "models_app_invoice": "invoice_number", "tenancy_tenant": "name"}


# ----------------------------------------------------------------------------- operations


def op_create(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(DOMAIN_TABLES), label="table")
    obj = _new(data, snap, table)
    type(obj).objects.create(**{f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields})


def op_save(data: st.DataObject, snap: Snapshot) -> None:
    how = data.draw(st.sampled_from(("edit mine", "move to victim", "foreign id")), label="save")
    if how == "foreign id":
        Customer(id=_one(data, snap, "models_app_customer"), email=f"s-{_suffix()}@x.org", first_name="Saved",
                 last_name="Over").save()
        return
    # Drawn before the query: whether T still has a customer depends on earlier examples'
    # commits, and Hypothesis needs the same draws whatever the database holds.
    victim = data.draw(st.sampled_from(snap.victims), label="victim") if how == "move to victim" else None
    customer = Customer.objects.order_by("?").first()
    if customer is None:
        return
    customer.first_name = "Edited"
    if victim is not None:
        customer.tenant_id = victim
    customer.save()


def op_queryset_update(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(["models_app_customer", "models_app_product", "models_app_order"]),
                      label="table")
    model = model_for(table)
    qs = model.objects if data.draw(st.booleans(), label="manager") else QuerySet(model=model)
    qs = qs.filter(id__in=_ids(data, snap, table))
    if data.draw(st.booleans(), label="move tenant"):
        qs.update(tenant_id=data.draw(st.sampled_from(snap.victims), label="victim"))
    else:
        qs.update(**{TEXT_COLUMN[table]: f"U-{_suffix()}"})


def op_delete(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(["models_app_invoice", "models_app_orderitem", "models_app_subscription",
                                       "models_app_order", "models_app_customer"]), label="table")
    model = model_for(table)
    qs = model.objects if data.draw(st.booleans(), label="manager") else QuerySet(model=model)
    qs.filter(id__in=_ids(data, snap, table)).delete()


def op_bulk_create(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(DOMAIN_TABLES), label="table")
    objs = [_new(data, snap, table) for _ in range(data.draw(st.integers(1, 3), label="n"))]
    type(objs[0]).objects.bulk_create(objs)


def op_bulk_update(data: st.DataObject, snap: Snapshot) -> None:
    ids = _ids(data, snap, "models_app_customer")
    objs = [Customer(id=i, tenant_id=snap.tenant, email="x@x.org", first_name="Bulk", last_name="U") for i in ids]
    qs = Customer.objects if data.draw(st.booleans(), label="manager") else QuerySet(model=Customer)
    qs.bulk_update(objs, ["first_name", "last_name"])


def op_get_or_create(data: st.DataObject, snap: Snapshot) -> None:
    if data.draw(st.booleans(), label="by id"):
        Customer.objects.get_or_create(id=_one(data, snap, "models_app_customer"),
                                       defaults={"email": f"g-{_suffix()}@x.org", "first_name": "G", "last_name": "C"})
    else:
        Customer.objects.get_or_create(email=data.draw(st.sampled_from(EMAILS), label="email"),
                                       defaults={"first_name": "G", "last_name": "C"})


def op_update_or_create(data: st.DataObject, snap: Snapshot) -> None:
    Customer.objects.update_or_create(
        id=_one(data, snap, "models_app_customer"), defaults={"first_name": "UoC"},
        create_defaults={"email": f"u-{_suffix()}@x.org", "first_name": "UoC", "last_name": "C"},
    )


CUSTOMER_COLUMNS = "id, tenant_id, email, first_name, last_name, is_active, metadata, created_at, updated_at"


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def op_raw_insert(data: st.DataObject, snap: Snapshot) -> None:
    tenant_id = _tenant_payload(data, snap) or snap.tenant
    if data.draw(st.booleans(), label="customer"):
        _raw(f"INSERT INTO models_app_customer ({CUSTOMER_COLUMNS}) VALUES (%s, %s, %s, 'Raw', 'I', true, '{{}}', "
             "now(), now())", [uuid.uuid4(), tenant_id, f"r-{_suffix()}@x.org"])
    else:
        _raw("INSERT INTO models_app_order (id, tenant_id, customer_id, order_number, status, subtotal, tax, "
             "shipping, total, order_date, metadata, created_at, updated_at) VALUES (%s, %s, %s, %s, 'pending', 0, "
             "0, 0, 0, now(), '{}', now(), now())",
             [uuid.uuid4(), tenant_id, _one(data, snap, "models_app_customer"), f"R-{_suffix()}"])


def op_raw_update(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(tables()), label="table")
    ids = [str(i) for i in _ids(data, snap, table)]
    if table != "tenancy_tenant" and data.draw(st.booleans(), label="move tenant"):
        _raw(f"UPDATE {qn(table)} SET tenant_id = %s WHERE id = ANY(%s::uuid[])",
             [data.draw(st.sampled_from(snap.victims), label="victim"), ids])
    elif TEXT_COLUMN[table]:
        _raw(f"UPDATE {qn(table)} SET {qn(TEXT_COLUMN[table])} = %s WHERE id = ANY(%s::uuid[])", [_suffix(), ids])
    else:
        _raw(f"UPDATE {qn(table)} SET quantity = quantity + 1 WHERE id = ANY(%s::uuid[])", [ids])


def op_raw_delete(data: st.DataObject, snap: Snapshot) -> None:
    table = data.draw(st.sampled_from(DOMAIN_TABLES), label="table")
    where = "id = ANY(%s::uuid[])" if data.draw(st.booleans(), label="by id") else "%s::uuid[] IS NOT NULL"
    _raw(f"DELETE FROM {qn(table)} WHERE {where}", [[str(i) for i in _ids(data, snap, table)]])


def op_upsert(data: st.DataObject, snap: Snapshot) -> None:
    target = data.draw(st.sampled_from(("id", "tenant_id, email")), label="conflict target")
    action = data.draw(st.sampled_from(("DO NOTHING", "DO UPDATE SET first_name = 'Upserted'")), label="action")
    row_id = _one(data, snap, "models_app_customer")
    email = data.draw(st.sampled_from(EMAILS), label="email")
    tenant_id = _tenant_payload(data, snap) or snap.tenant
    _raw(f"INSERT INTO models_app_customer ({CUSTOMER_COLUMNS}) VALUES (%s, %s, %s, 'Ups', 'I', true, '{{}}', "
         f"now(), now()) ON CONFLICT ({target}) {action}", [row_id, tenant_id, email])


def op_update_from(data: st.DataObject, snap: Snapshot) -> None:
    ids = [str(i) for i in _ids(data, snap, "models_app_order")]
    variant = data.draw(st.sampled_from(("customers from orders", "items from orders", "delete using")),
                        label="variant")
    if variant == "customers from orders":
        _raw("UPDATE models_app_customer c SET first_name = left(o.order_number, 100) FROM models_app_order o "
             "WHERE o.customer_id = c.id AND o.id = ANY(%s::uuid[])", [ids])
    elif variant == "items from orders":
        _raw("UPDATE models_app_orderitem i SET quantity = i.quantity + 1 FROM models_app_order o "
             "WHERE o.id = i.order_id AND (o.id = ANY(%s::uuid[]) OR o.tenant_id <> i.tenant_id)", [ids])
    else:
        _raw("DELETE FROM models_app_invoice i USING models_app_customer c WHERE c.id = i.customer_id "
             "AND c.id IN (SELECT customer_id FROM models_app_order WHERE id = ANY(%s::uuid[]))", [ids])


OPERATIONS: dict[str, Callable[[st.DataObject, Snapshot], None]] = {
    "create": op_create, "save": op_save, "QuerySet.update": op_queryset_update, "delete": op_delete,
    "bulk_create": op_bulk_create, "bulk_update": op_bulk_update, "get_or_create": op_get_or_create,
    "update_or_create": op_update_or_create, "raw INSERT": op_raw_insert, "raw UPDATE": op_raw_update,
    "raw DELETE": op_raw_delete, "INSERT ON CONFLICT": op_upsert, "UPDATE FROM": op_update_from,
}


def run_random_writes(data: st.DataObject, conn: Any, tenants: list[uuid.UUID], steps: int,
                      operations: list[str] | None = None) -> list[str]:
    """Draw T and ``steps`` operations, run and commit them, then check the other tenants.

    ``operations`` narrows the menu (a negative control aims at the writes its leak affects).
    """
    tenant = data.draw(st.sampled_from(tenants), label="tenant")
    snap = snapshot(conn, tenant, tenants)
    before = digest_others(conn, tenant)
    outcomes = []
    with tenant_context(tenant):
        for _ in range(steps):
            name = data.draw(st.sampled_from(operations or sorted(OPERATIONS)), label="operation")
            try:
                with transaction.atomic():
                    OPERATIONS[name](data, snap)
                outcomes.append(f"{name}: ok")
            except DatabaseError as exc:  # IntegrityError, ProtectedError, policy violations ...
                if not str(exc).strip():
                    raise IsolationViolation(f"{name} failed with an empty database error") from exc
                outcomes.append(f"{name}: {type(exc).__name__}")
    after = digest_others(conn, tenant)
    changed = [t for t in tables() if before[t] != after[t]]
    if changed:
        raise IsolationViolation(f"writes under {tenant} changed other tenants' rows in {changed}: {outcomes}")
    refs = cross_tenant_references(conn)
    if refs:
        raise IsolationViolation(f"writes under {tenant} created cross-tenant references: {refs}; {outcomes}")
    return outcomes
