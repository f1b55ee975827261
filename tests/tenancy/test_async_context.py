"""``async with tenant_context(t)``: ASGI code enters the signed context on the ORM's thread."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.db import connections

from tenancy import tenant_context, verified_tenant_id
from tenancy.models import Tenant


def test_async_with_enters_and_leaves_the_signed_context(committed) -> None:
    first, second = committed.tenant(), committed.tenant()

    def seen() -> tuple[str, list[str]]:
        return verified_tenant_id(), [str(pk) for pk in Tenant.objects.values_list("id", flat=True)]

    async def run() -> list[tuple[str, list[str]]]:
        results = []
        async with tenant_context(first):
            results.append(await sync_to_async(seen)())
            async with tenant_context(second):
                results.append(await sync_to_async(seen)())
            results.append(await sync_to_async(seen)())
        results.append((await sync_to_async(verified_tenant_id)(), []))
        await sync_to_async(connections.close_all)()
        return results

    assert asyncio.run(run()) == [
        (str(first.id), [str(first.id)]), (str(second.id), [str(second.id)]),
        (str(first.id), [str(first.id)]), ("", []),
    ]


def test_async_tasks_of_different_tenants_do_not_mix(committed) -> None:
    tenants = [committed.tenant() for _ in range(3)]

    async def one(tenant) -> str:
        async with tenant_context(tenant):
            await asyncio.sleep(0)
            return await sync_to_async(verified_tenant_id)()

    async def run() -> list[str]:
        found = await asyncio.gather(*(one(t) for t in tenants))
        await sync_to_async(connections.close_all)()
        return list(found)

    assert asyncio.run(run()) == [str(t.id) for t in tenants]


def test_tasks_sharing_one_thread_context_are_refused(committed) -> None:
    """Inside one ThreadSensitiveContext (an ASGI request), two tasks would share a connection:
    the second context is refused instead of switching the first one's transaction."""
    from asgiref.sync import ThreadSensitiveContext

    from tenancy import TenantContextRequired

    a, b = committed.tenant(), committed.tenant()

    async def hold(tenant, started: asyncio.Event, release: asyncio.Event) -> str:
        async with tenant_context(tenant):
            started.set()
            await release.wait()
            return await sync_to_async(verified_tenant_id)()

    async def run() -> tuple[str, bool]:
        async with ThreadSensitiveContext():
            started, release = asyncio.Event(), asyncio.Event()
            first = asyncio.create_task(hold(a, started, release))
            await started.wait()
            refused = False
            try:
                async with tenant_context(b):
                    pass
            except TenantContextRequired:
                refused = True
            release.set()
            seen = await first
            await sync_to_async(connections.close_all)()
            return seen, refused

    assert asyncio.run(run()) == (str(a.id), True)
