"""Database-side integrity: updated_at, immutable tenant_id, append-only events."""

from __future__ import annotations

import datetime as dt

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction

from models_app.models import Customer, Event
from tenancy import tenant_context
from tests.factories import CustomerFactory, EventFactory

pytestmark = [pytest.mark.django_db]


def test_updated_at_is_kept_by_the_database_for_queryset_update_and_raw_sql(tenant_factory) -> None:
    tenant = tenant_factory()
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with tenant_context(tenant):
        customer = CustomerFactory(created_at=old, updated_at=old)
        Customer.objects.filter(pk=customer.pk).update(first_name="Queryset")
        customer.refresh_from_db()
        assert customer.updated_at > old
        with connection.cursor() as cursor:
            cursor.execute("UPDATE models_app_customer SET updated_at = %s, last_name = 'raw' WHERE id = %s",
                           [old, customer.pk])
        customer.refresh_from_db()
        assert customer.updated_at > old


@pytest.mark.rls
def test_tenant_id_cannot_move_even_when_triggers_are_ignored(tenant_factory) -> None:
    a, b = tenant_factory(), tenant_factory()
    with tenant_context(a):
        customer = CustomerFactory()
        with pytest.raises(DatabaseError, match="tenant_id_immutable|Cannot update"), transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(tenant_id=b.id)
        # pgtrigger.ignore is open to any role: the policy's WITH CHECK must stop the move alone.
        with pgtrigger.ignore("models_app.Customer:tenant_id_immutable"), \
                pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Customer.objects.filter(pk=customer.pk).update(tenant_id=b.id)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'models_app_customer'::regclass "
                           "AND tgname LIKE 'pgtrigger_tenant_id_immutable%%'")
            pgid = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + pgid + "}"])
            cursor.execute("UPDATE models_app_customer SET tenant_id = %s", [b.id])
        assert Customer.objects.get().tenant_id == a.id


def test_events_are_append_only(tenant_factory) -> None:
    tenant = tenant_factory()
    with tenant_context(tenant):
        event = EventFactory()
        with pytest.raises(DatabaseError, match="append_only|Cannot|permission denied"), transaction.atomic():
            Event.objects.filter(pk=event.pk).update(event_type="click")
        with pytest.raises(DatabaseError, match="append_only|Cannot|permission denied"), transaction.atomic():
            Event.objects.filter(pk=event.pk).delete()
        assert Event.objects.count() == 1
