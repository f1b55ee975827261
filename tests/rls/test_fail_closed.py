"""No tenant context means no rows and no writes: in the ORM and in SQL."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from models_app.models import DOMAIN_MODELS, Customer
from rls.constraints import tenant_scoped_models
from rls.sql import qn
from tenancy import TenantContextRequired, database_tenant_id, tenant_context
from tenancy.models import Tenant
from tests.factories import CustomerFactory, OrderItemFactory

pytestmark = [pytest.mark.rls, pytest.mark.django_db]


@pytest.fixture
def populated(tenant_factory):
    tenant = tenant_factory()
    with tenant_context(tenant):
        OrderItemFactory()
        CustomerFactory()
    return tenant


@pytest.mark.parametrize("model", [*DOMAIN_MODELS, Tenant], ids=lambda m: m.__name__)
def test_orm_raises_outside_a_context(populated, model) -> None:
    with pytest.raises(TenantContextRequired):
        list(model.objects.all())
    with pytest.raises(TenantContextRequired):
        model.objects.count()


def test_orm_writes_raise_outside_a_context(populated) -> None:
    with pytest.raises(TenantContextRequired):
        Customer(email="x@example.com", first_name="x", last_name="y").save()
    with pytest.raises(TenantContextRequired):
        Customer.objects.bulk_create([Customer(email="y@example.com", first_name="x", last_name="y")])


def test_raw_sql_sees_no_rows_in_any_table_outside_a_context(populated) -> None:
    assert database_tenant_id() == ""
    with connection.cursor() as cursor:
        for model in tenant_scoped_models():
            cursor.execute(f"SELECT count(*) FROM {qn(model._meta.db_table)}")
            assert cursor.fetchone()[0] == 0, model


def test_raw_sql_with_an_empty_setting_sees_nothing_and_raises_no_cast_error(populated) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")
        cursor.execute("SELECT count(*) FROM models_app_customer")
        assert cursor.fetchone()[0] == 0


def test_raw_insert_outside_a_context_is_a_policy_violation(populated) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO models_app_customer (id, tenant_id, email, first_name, last_name, created_at, "
            "updated_at, is_active, metadata) VALUES (%s, %s, 'a@b.c', 'a', 'b', now(), now(), true, '{}')",
            [uuid.uuid4(), populated.id],
        )


def test_raw_update_and_delete_outside_a_context_touch_nothing(populated) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE models_app_customer SET first_name = 'hacked'")
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM models_app_orderitem")
        assert cursor.rowcount == 0
    with tenant_context(populated):
        assert Customer.objects.filter(first_name="hacked").count() == 0
        assert Customer.objects.count() == 2


def test_context_ends_with_its_transaction(populated) -> None:
    with tenant_context(populated):
        assert database_tenant_id() == str(populated.id)
    assert database_tenant_id() == ""
