"""Tenant A cannot read, change, delete or create tenant B's rows, by any ORM or SQL path."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from models_app.models import Customer, Order, OrderItem
from tenancy import tenant_context
from tests.factories import OrderItemFactory

pytestmark = [pytest.mark.rls, pytest.mark.django_db]


@pytest.fixture
def two_tenants(tenant_factory):
    a, b = tenant_factory("alpha"), tenant_factory("beta")
    with tenant_context(a):
        a_item = OrderItemFactory(order__customer__email="a@alpha.test")
    with tenant_context(b):
        b_item = OrderItemFactory(order__customer__email="b@beta.test")
    return a, b, a_item, b_item


def test_orm_reads_only_the_current_tenant(two_tenants) -> None:
    a, b, a_item, b_item = two_tenants
    with tenant_context(a):
        assert list(Customer.objects.values_list("email", flat=True)) == ["a@alpha.test"]
        assert not Customer.objects.filter(pk=b_item.order.customer_id).exists()
        assert list(OrderItem.objects.select_related("order__customer")) == [a_item]
        orders = list(Order.objects.prefetch_related("items"))
        assert [list(o.items.all()) for o in orders] == [[a_item]]


def test_raw_sql_and_joins_read_only_the_current_tenant(two_tenants) -> None:
    a, b, *_ = two_tenants
    with tenant_context(b), connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.tenant_id FROM models_app_orderitem i JOIN models_app_order o ON o.id = i.order_id "
            "JOIN models_app_customer c ON c.id = o.customer_id"
        )
        assert cursor.fetchall() == [(b.id,)]
        cursor.execute("SELECT count(*) FROM models_app_customer WHERE tenant_id = %s", [a.id])
        assert cursor.fetchone()[0] == 0


def test_updates_and_deletes_cannot_reach_another_tenant(two_tenants) -> None:
    a, b, a_item, b_item = two_tenants
    with tenant_context(a):
        assert Customer.objects.filter(pk=b_item.order.customer_id).update(first_name="x") == 0
        assert Customer.objects.filter(pk=b_item.order.customer_id).delete()[0] == 0
        with connection.cursor() as cursor:
            cursor.execute("UPDATE models_app_customer SET first_name = 'x' WHERE id = %s", [b_item.order.customer_id])
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM models_app_orderitem WHERE tenant_id = %s", [b.id])
            assert cursor.rowcount == 0
    with tenant_context(b):
        assert Customer.objects.get().first_name != "x"
        assert OrderItem.objects.count() == 1


def test_writes_naming_another_tenant_are_refused(two_tenants) -> None:
    a, b, *_ = two_tenants
    with tenant_context(a):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Customer.objects.bulk_create([Customer(tenant_id=b.id, email="e@x.test", first_name="e", last_name="f")])
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Customer(tenant_id=b.id, email="f@x.test", first_name="e", last_name="f").save()
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO models_app_customer (id, tenant_id, email, first_name, last_name, created_at, "
                "updated_at, is_active, metadata) VALUES (%s, %s, 'g@x.test', 'g', 'h', now(), now(), true, '{}')",
                [uuid.uuid4(), b.id],
            )


def test_a_row_cannot_be_moved_to_another_tenant(two_tenants) -> None:
    a, b, a_item, _ = two_tenants
    with tenant_context(a), pytest.raises(DatabaseError), transaction.atomic():
        Customer.objects.filter(pk=a_item.order.customer_id).update(tenant_id=b.id)


def test_composite_foreign_keys_reject_cross_tenant_references(two_tenants) -> None:
    a, b, a_item, b_item = two_tenants
    with tenant_context(a):
        with pytest.raises(IntegrityError), transaction.atomic():
            Order.objects.create(customer_id=b_item.order.customer_id, order_number="X-1")
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO models_app_orderitem (id, tenant_id, order_id, product_id, quantity, unit_price, "
                "discount, total, created_at, updated_at) VALUES (%s, %s, %s, %s, 1, 1, 0, 1, now(), now())",
                [uuid.uuid4(), a.id, a_item.order_id, b_item.product_id],
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderItem.objects.filter(pk=a_item.pk).update(order_id=b_item.order_id)


def test_order_item_takes_its_tenant_from_the_order(tenant_factory) -> None:
    tenant = tenant_factory()
    with tenant_context(tenant):
        item = OrderItemFactory()
        assert item.tenant_id == item.order.tenant_id == tenant.id
