"""TenantMiddleware: 400 without a tenant, 404 for unknown/inactive, 200 inside the right tenant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import AsyncClient, Client

from tenancy import database_tenant_id, resolve_tenant, tenant_context
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.rls]


@pytest.fixture
def shops(committed, settings):
    settings.ALLOWED_HOSTS = ["*"]  # tenants bring their own domains
    acme = committed.tenant("acme-mw", domain="shop.acme.test")
    globex = committed.tenant("globex-mw")
    committed.tenant("sleepy-mw", is_active=False)
    with tenant_context(acme):
        CustomerFactory.create_batch(3)
    with tenant_context(globex):
        CustomerFactory.create_batch(1)
    return acme, globex


def test_missing_tenant_is_a_400(shops) -> None:
    response = Client().get("/api/summary")
    assert response.status_code == 400
    assert response.json()["error"] == "missing_tenant"


def test_unknown_and_inactive_tenants_are_404(shops) -> None:
    assert Client().get("/api/summary", HTTP_X_TENANT="nope").status_code == 404
    assert Client().get("/api/summary", HTTP_X_TENANT="sleepy-mw").json()["error"] == "inactive_tenant"
    assert Client().get("/api/summary", HTTP_HOST="unknown.example.test").status_code == 404


def test_header_domain_and_subdomain_resolve(shops) -> None:
    client = Client()
    assert client.get("/api/summary", HTTP_X_TENANT="acme-mw").json()["counts"]["customer"] == 3
    assert client.get("/api/summary", HTTP_HOST="shop.acme.test").json()["tenant"] == "acme-mw"
    assert client.get("/api/summary", HTTP_HOST="globex-mw.localhost").json()["tenant"] == "globex-mw"


def test_no_leak_between_consecutive_requests_on_one_persistent_connection(shops) -> None:
    acme, globex = shops
    client = Client()
    for slug, expected in [("acme-mw", 3), ("globex-mw", 1), ("acme-mw", 3)] * 3:
        body = client.get("/api/summary", HTTP_X_TENANT=slug).json()
        assert (body["tenant"], body["counts"]["customer"]) == (slug, expected)
        assert database_tenant_id() == ""  # the same connection carries no tenant afterwards
    assert client.get("/api/summary").status_code == 400
    connection.close()


def test_async_views_run_inside_the_context(shops) -> None:
    import asyncio

    async def call() -> dict:
        response = await AsyncClient().get("/api/async-summary", headers={"X-Tenant": "globex-mw"})
        assert response.status_code == 200
        return response.json()

    body = asyncio.run(call())
    assert body == {"tenant": "globex-mw", "counts": body["counts"]} and body["counts"]["customer"] == 1


def test_resolver_function_exposes_only_id_and_is_active(shops) -> None:
    acme, _ = shops
    assert resolve_tenant("acme-mw") == acme.id
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM public.tenancy_resolve_tenant('acme-mw', NULL)")
        assert [c.name for c in cursor.description] == ["id", "is_active"]
