"""Property 1, visibility: random reads under tenant T return exactly T's rows.

Each read is drawn by Hypothesis (kind, table, field, value) and compared with the
in-memory model. Reads come in three flavours on purpose:

* through the manager (``Model.objects``), which adds ``tenant_id = T`` itself;
* through a bare ``QuerySet(model)``, which has no such filter: only RLS protects it;
* raw SQL (``SELECT *``, joins, counts) with no tenant condition at all.

So a table whose policy is missing is caught even though the manager would hide it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum
from hypothesis import strategies as st

from models_app.models import Customer, Invoice, OrderItem
from rls.sql import qn
from tests.isolation.model import TENANT_TABLE, IsolationViolation, WorldModel, model_for, tables, tenant_column
from tests.isolation.worlds import MODEL_FIELDS

FILTER_FIELDS: dict[str, tuple[str, ...]] = {
    TENANT_TABLE: ("id", "slug"),
    **{f"models_app_{key}": ("id", *names) for key, names in MODEL_FIELDS.items()},
}
NUMERIC = {"models_app_product": "price", "models_app_order": "total", "models_app_orderitem": "quantity",
           "models_app_invoice": "amount"}


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise IsolationViolation(message)


def _field_value(row: Any, name: str) -> Any:
    return row.id if name == "id" else row.fields.get(name)


def _fresh(field: str, values: list[Any]) -> list[Any]:
    """A value of the field's type that no row has (so filters also probe emptiness)."""
    if field.endswith("id"):
        return [uuid.uuid4()]
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool) or sample is None:
        return []
    if isinstance(sample, Decimal | int):
        return [type(sample)(-1)]
    return ["nobody"]


def _queryset(data: st.DataObject, table: str) -> tuple[QuerySet, str]:
    model = model_for(table)
    if data.draw(st.booleans(), label="through manager"):
        return model.objects.all(), "manager"
    return QuerySet(model=model), "bare queryset"


def read_orm(data: st.DataObject, world: WorldModel, tenant: uuid.UUID, table: str) -> None:
    qs, how = _queryset(data, table)
    column = tenant_column(table)
    field = data.draw(st.sampled_from(("",) + FILTER_FIELDS[table]), label="filter field")
    expected = world.visible(table, tenant)
    pool = world.values_of(table, field) + _fresh(field, world.values_of(table, field)) if field else []
    if pool:
        value = data.draw(st.sampled_from(pool), label="filter value")
        qs = qs.filter(**{field: value})
        expected = [r for r in expected if _field_value(r, field) == value]
    shape = data.draw(st.sampled_from(("instances", "values", "values_list", "count", "exists")), label="shape")
    want = {r.id for r in expected}
    if shape == "instances":
        got_rows = list(qs)
        got = {o.pk for o in got_rows}
        owners = {getattr(o, column) for o in got_rows}
    elif shape == "values":
        got_values = list(qs.values("pk", column))
        got = {v["pk"] for v in got_values}
        owners = {v[column] for v in got_values}
    elif shape == "values_list":
        got = set(qs.values_list("pk", flat=True))
        owners = {tenant} if got else set()
    elif shape == "count":
        count = qs.count()
        expect(count == len(want), f"{how} {table} filter {field!r}: count {count} != model {len(want)}")
        return
    else:
        expect(qs.exists() == bool(want), f"{how} {table} filter {field!r}: exists() disagrees with the model")
        return
    expect(owners <= {tenant}, f"{how} {table} {shape} filter {field!r}: foreign tenant rows {owners - {tenant}}")
    expect(got == want, f"{how} {table} {shape} filter {field!r}: {len(got)} rows, model says {len(want)}")


def read_aggregate(data: st.DataObject, world: WorldModel, tenant: uuid.UUID, table: str) -> None:
    qs, how = _queryset(data, table)
    rows = world.visible(table, tenant)
    numeric = NUMERIC.get(table)
    spec: dict[str, Any] = {"agg_n": Count("pk")}
    if numeric:
        spec.update(agg_sum=Sum(numeric), agg_max=Max(numeric))
    result = qs.aggregate(**spec)
    expect(result["agg_n"] == len(rows), f"{how} aggregate count on {table}: {result['agg_n']} != {len(rows)}")
    if numeric:
        values = [r.fields[numeric] for r in rows]
        expect(result["agg_sum"] == (sum(values) if values else None), f"{how} Sum({numeric}) on {table} differs")
        expect(result["agg_max"] == (max(values) if values else None), f"{how} Max({numeric}) on {table} differs")
    if table == "models_app_event":
        grouped = dict(qs.order_by().values_list("event_type").annotate(c=Count("pk")))
        expect(grouped == dict(Counter(r.fields["event_type"] for r in rows)), "GROUP BY event_type differs")


def read_related(data: st.DataObject, world: WorldModel, tenant: uuid.UUID) -> None:
    mine = {t: world.ids(t, tenant) for t in tables()}
    kind = data.draw(st.sampled_from(("select_related items", "select_related invoices", "prefetch customers")),
                     label="related read")
    if kind == "select_related items":
        items = list(OrderItem.objects.select_related("order__customer", "product"))
        expect({i.pk for i in items} == mine["models_app_orderitem"], "select_related order items differ")
        for item in items:
            expect(item.order.pk in mine["models_app_order"] and item.product.pk in mine["models_app_product"]
                   and item.order.customer.pk in mine["models_app_customer"], f"item {item.pk} joins a foreign row")
    elif kind == "select_related invoices":
        invoices = list(Invoice.objects.select_related("customer", "subscription"))
        expect({i.pk for i in invoices} == mine["models_app_invoice"], "select_related invoices differ")
        for inv in invoices:
            expect(inv.customer.pk in mine["models_app_customer"], f"invoice {inv.pk} joins a foreign customer")
            expect(inv.subscription is None or inv.subscription.pk in mine["models_app_subscription"],
                   f"invoice {inv.pk} joins a foreign subscription")
    else:
        customers = list(Customer.objects.prefetch_related("orders", "events", "invoices", "subscriptions"))
        expect({c.pk for c in customers} == mine["models_app_customer"], "prefetch: customers differ")
        for rel, table in (("orders", "models_app_order"), ("events", "models_app_event"),
                           ("invoices", "models_app_invoice"), ("subscriptions", "models_app_subscription")):
            for customer in customers:
                got = {o.pk for o in getattr(customer, rel).all()}
                want = {r.id for r in world.visible(table, tenant) if r.fields["customer_id"] == customer.pk}
                expect(got == want, f"prefetch {rel} of customer {customer.pk}: {len(got)} != {len(want)}")


def read_raw(data: st.DataObject, world: WorldModel, tenant: uuid.UUID, table: str) -> None:
    column = tenant_column(table)
    probe = data.draw(st.sampled_from(("select *", "by id", "count every table")), label="raw read")
    with connection.cursor() as cursor:
        if probe == "count every table":
            for name in tables():
                cursor.execute(f"SELECT count(*) FROM {qn(name)}")
                count = cursor.fetchone()[0]
                want = len(world.ids(name, tenant))
                expect(count == want, f"raw count(*) on {name}: {count}, model says {want}")
            return
        if probe == "by id":
            row_id = data.draw(st.sampled_from(world.all_ids()), label="probed id")
            cursor.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE id = %s", [row_id])
            found = [r[0] for r in cursor.fetchall()]
            owner = world.owner_of(row_id)
            want = [tenant] if owner == tenant and row_id in world.union(table) else []
            expect(found == want, f"raw probe of id {row_id} in {table}: found {found}, owner is {owner}")
            return
        cursor.execute(f"SELECT * FROM {qn(table)}")
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    owners = {r[column] for r in rows}
    expect(owners <= {tenant}, f"raw SELECT * FROM {table} returned rows of {owners - {tenant}}")
    expect({r["id"] for r in rows} == world.ids(table, tenant), f"raw SELECT * FROM {table} differs from the model")


JOINS = {
    "items-orders-customers-products": (
        "SELECT count(*) FROM models_app_orderitem oi JOIN models_app_order o ON o.id = oi.order_id "
        "JOIN models_app_customer c ON c.id = o.customer_id JOIN models_app_product p ON p.id = oi.product_id",
        lambda w, t: len(w.ids("models_app_orderitem", t)),
    ),
    "customers x products": (
        "SELECT count(*) FROM models_app_customer c CROSS JOIN models_app_product p",
        lambda w, t: len(w.ids("models_app_customer", t)) * len(w.ids("models_app_product", t)),
    ),
    "events left join customers on id only": (
        "SELECT count(*) FROM models_app_event e LEFT JOIN models_app_customer c ON c.id = e.customer_id "
        "WHERE c.id IS NOT NULL",
        lambda w, t: sum(1 for r in w.visible("models_app_event", t) if r.fields["customer_id"] is not None),
    ),
    "invoices join subscriptions join tenant": (
        "SELECT count(*) FROM models_app_invoice i JOIN models_app_subscription s ON s.id = i.subscription_id "
        "JOIN tenancy_tenant t ON t.id = s.tenant_id",
        lambda w, t: sum(1 for r in w.visible("models_app_invoice", t) if r.fields["subscription_id"] is not None),
    ),
    "union of all tenant ids": (
        "SELECT count(DISTINCT tid) FROM (SELECT tenant_id AS tid FROM models_app_customer UNION ALL "
        "SELECT tenant_id FROM models_app_order UNION ALL SELECT tenant_id FROM models_app_event "
        "UNION ALL SELECT id FROM tenancy_tenant) u",
        lambda w, t: 1,
    ),
}


def read_join(data: st.DataObject, world: WorldModel, tenant: uuid.UUID) -> None:
    name = data.draw(st.sampled_from(sorted(JOINS)), label="join")
    sql, want = JOINS[name]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        got = cursor.fetchone()[0]
    expect(got == want(world, tenant), f"join {name!r}: {got}, model says {want(world, tenant)}")


def check_random_read(data: st.DataObject, world: WorldModel, tenant: uuid.UUID) -> None:
    """Draw one read and compare it with the model (call inside ``tenant_context(tenant)``)."""
    kind = data.draw(st.sampled_from(("orm", "aggregate", "related", "raw", "join")), label="read kind")
    table = data.draw(st.sampled_from(tables()), label="table")
    if kind == "orm":
        read_orm(data, world, tenant, table)
    elif kind == "aggregate":
        read_aggregate(data, world, tenant, table)
    elif kind == "related":
        read_related(data, world, tenant)
    elif kind == "raw":
        read_raw(data, world, tenant, table)
    else:
        read_join(data, world, tenant)
