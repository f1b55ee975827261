"""Real test_decoding output for every table and column type of the schema, parsed back.

Rows with awkward values (quotes in text and JSON, NULLs, IPv6, numerics, time stamps) are
written as the app role; the replication role reads the slot; every parsed value must equal
what the type output function returns (``format('%s', col)``) for that row, and every column type the replicated tables
use must have been seen.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from cdc.decoding import UNCHANGED_TOAST, Change, Commit, parse_line
from cdc.mapping import replicated_tables
from models_app.models import Product
from tenancy import tenant_context
from tests.cdc.conftest import peek
from tests.factories import (
    CustomerFactory,
    EventFactory,
    InvoiceFactory,
    OrderItemFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.slow


def _types_in_schema(conn) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT format_type(a.atttypid, NULL) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped",
            [[t.table for t in replicated_tables()]])
        return {row[0] for row in cursor.fetchall()}


def _row_as_text(conn, table: str, row_id: str) -> dict[str, str | None]:
    with conn.cursor() as cursor:
        cursor.execute(f'SELECT to_jsonb(t) FROM "{table}" t WHERE id = %s', [row_id])  # noqa: S608
        as_json = cursor.fetchone()[0]
        columns = list(as_json)
        # format('%s', x) runs the type's output function, as the decoder does (x::text differs for inet).
        select = ", ".join(f'CASE WHEN "{c}" IS NULL THEN NULL ELSE format(\'%%s\', "{c}") END' for c in columns)
        cursor.execute(f'SELECT {select} FROM "{table}" WHERE id = %s', [row_id])  # noqa: S608
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_every_column_type_round_trips(committed, replication_conn, slot) -> None:
    tenant = committed.tenant(settings={"plan": "pro", "note": "it's \"quoted\""})
    with tenant_context(tenant):
        customer = CustomerFactory(first_name="D'Arcy", last_name='"Quoted"', phone=None,
                                   metadata={"nested": {"q": "men's \"shoes\""}, "n": None})
        product = ProductFactory(description="tab\there, newline\nthere", price=Decimal("1234567.89"),
                                 cost=Decimal("0.01"))
        item = OrderItemFactory(order__customer=customer, product=product, discount=Decimal("-0.00"))
        EventFactory(customer=None, ip_address="2001:db8::1", event_data={"path": "/a b", "x": [1, 2.5, None]})
        subscription = SubscriptionFactory(customer=customer)
        InvoiceFactory(customer=customer, subscription=subscription, paid_date=None)
        item_id = item.id
        item.delete()
    with replication_conn.cursor() as cursor:
        cursor.execute("SET TimeZone = 'UTC'")
    changes = [m for m in map(parse_line, peek(replication_conn, slot)) if isinstance(m, Change)]
    seen_types: set[str] = set()
    compared = 0
    for change in changes:
        seen_types.update(c.type for c in change.columns)
        if change.op == "I" and change.table != "models_app_orderitem":
            expected = _row_as_text(replication_conn, change.table, str(change.values()["id"]))
            for column in change.columns:  # test_decoding spells booleans out; boolout says t/f
                if column.type == "boolean" and expected[column.name] is not None:
                    expected[column.name] = {"t": "true", "f": "false"}[expected[column.name]]
            assert change.values() == expected, change.table
            compared += 1
    assert compared >= 7  # the tenant, customer, product, order, event, subscription, invoice
    missing = _types_in_schema(replication_conn) - seen_types
    assert not missing, f"column types never decoded: {missing}"
    deletes = [c for c in changes if c.op == "D"]
    assert len(deletes) == 1
    # Replica identity (tenant_id, id): the delete says whose row it was.
    assert deletes[0].values() == {"tenant_id": str(tenant.id), "id": str(item_id)}


def test_unchanged_toast_value_is_marked(committed, replication_conn, slot) -> None:
    tenant = committed.tenant()
    big = os.urandom(6000).hex()  # incompressible: stored out of line (TOAST)
    with tenant_context(tenant):
        product = ProductFactory(description=big)
    with tenant_context(tenant):
        Product.objects.filter(pk=product.pk).update(stock_quantity=7)
    messages = [parse_line(m) for m in peek(replication_conn, slot)]
    updates = [m for m in messages if isinstance(m, Change) and m.op == "U"]
    assert len(updates) == 1
    assert updates[0].values()["description"] is UNCHANGED_TOAST
    assert updates[0].values()["stock_quantity"] == "7"
    commits = [m for m in messages if isinstance(m, Commit)]
    assert commits and all(c.timestamp is not None for c in commits)


def test_delete_images_carry_tenant_on_every_tenant_table(replication_conn) -> None:
    with replication_conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relreplident, i.relname FROM pg_class c "
            "LEFT JOIN pg_index x ON x.indrelid = c.oid AND x.indisreplident "
            "LEFT JOIN pg_class i ON i.oid = x.indexrelid WHERE c.relname = ANY(%s)",
            [[t.table for t in replicated_tables()]])
        identities = {name: (kind, index) for name, kind, index in cursor.fetchall()}
    for table in replicated_tables():
        if table.tenant_column == "id":
            assert identities[table.table][0] == "d"  # the tenant table: its key is the tenant
        else:
            assert identities[table.table] == ("i", f"{table.table}_tenant_id_key"), table.table


@pytest.mark.django_db(databases=["default", "owner"])
def test_replica_identity_migration_is_reversible() -> None:
    from io import StringIO

    from django.core.management import call_command

    backwards, forwards = StringIO(), StringIO()
    call_command("sqlmigrate", "models_app", "0002", backwards=True, database="owner", stdout=backwards)
    call_command("sqlmigrate", "models_app", "0002", database="owner", stdout=forwards)
    scoped = [t.table for t in replicated_tables() if t.tenant_column != "id"]
    for table in scoped:
        assert f'ALTER TABLE "{table}" REPLICA IDENTITY DEFAULT' in backwards.getvalue()
        assert f'ALTER TABLE "{table}" REPLICA IDENTITY USING INDEX "{table}_tenant_id_key"' in forwards.getvalue()
