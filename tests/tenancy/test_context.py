"""tenant_context: nesting, exceptions, decorators, threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections

from models_app.models import Customer
from tenancy import (
    TenantContextRequired,
    active_tenants,
    current_tenant_id,
    database_tenant_id,
    tenant_context,
)
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.rls]


@pytest.mark.django_db
def test_nested_contexts_restore_the_outer_tenant(tenant_factory) -> None:
    a, b = tenant_factory(), tenant_factory()
    with tenant_context(a):
        with tenant_context(b):
            assert database_tenant_id() == str(b.id) and current_tenant_id() == b.id
        assert database_tenant_id() == str(a.id) and current_tenant_id() == a.id
        with pytest.raises(ZeroDivisionError), tenant_context(b):
            1 / 0  # noqa: B018
        assert database_tenant_id() == str(a.id) and current_tenant_id() == a.id
    assert database_tenant_id() == "" and active_tenants() == ()


@pytest.mark.django_db
def test_decorator_form_runs_each_call_in_its_own_context(tenant_factory) -> None:
    tenant = tenant_factory()

    @tenant_context(tenant)
    def count(depth: int) -> int:
        assert database_tenant_id() == str(tenant.id)
        return Customer.objects.count() + (count(depth - 1) if depth else 0)

    with tenant_context(tenant):
        CustomerFactory()
    assert count(2) == 3
    assert database_tenant_id() == ""


def test_rejects_slugs_and_garbage() -> None:
    with pytest.raises(ValueError, match="resolve_tenant"):
        tenant_context("acme")
    with pytest.raises(TypeError):
        tenant_context(42)


def test_threads_each_see_only_their_tenant(committed) -> None:
    tenants = [committed.tenant() for _ in range(4)]
    for index, tenant in enumerate(tenants):
        with tenant_context(tenant):
            CustomerFactory.create_batch(index + 1)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(tenants))

    def work(index: int) -> None:
        try:
            with tenant_context(tenants[index]):
                barrier.wait(timeout=10)
                for _ in range(20):
                    rows = list(Customer.objects.values_list("tenant_id", flat=True))
                    assert rows == [tenants[index].id] * (index + 1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(tenants))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_context_does_not_follow_into_another_threads_connection(committed) -> None:
    tenant = committed.tenant()
    outcome: list[object] = []
    with tenant_context(tenant):
        def other() -> None:
            try:
                outcome.append(current_tenant_id())
            except TenantContextRequired as exc:
                outcome.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert isinstance(outcome[0], TenantContextRequired)


def test_asyncio_tasks_keep_their_own_tenant(committed) -> None:
    tenants = [committed.tenant() for _ in range(3)]
    for index, tenant in enumerate(tenants):
        with tenant_context(tenant):
            CustomerFactory.create_batch(index + 1)

    def count_for(tenant_id: uuid.UUID) -> tuple[str, int]:
        try:
            with tenant_context(tenant_id):
                return database_tenant_id(), Customer.objects.count()
        finally:
            connection.close()

    async def main() -> list[tuple[str, int]]:
        calls = [sync_to_async(count_for, thread_sensitive=False)(t.id) for t in tenants for _ in range(3)]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    expected = [(str(t.id), i + 1) for i, t in enumerate(tenants) for _ in range(3)]
    assert results == expected
