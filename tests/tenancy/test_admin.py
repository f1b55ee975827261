"""The admin shows one tenant at a time: the one the staff user picked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tenancy import tenant_context
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.rls]


def test_admin_lists_only_the_picked_tenant(committed) -> None:
    acme, globex = committed.tenant("acme-admin"), committed.tenant("globex-admin")
    with tenant_context(acme):
        CustomerFactory(email="someone@acme-admin.test")
    with tenant_context(globex):
        CustomerFactory(email="someone@globex-admin.test")
    user = User.objects.create_superuser("staff-admin-test", "staff@example.test", "pw")
    try:
        client = Client()
        client.force_login(user)
        before = client.get("/admin/models_app/customer/")
        assert before.status_code == 200
        assert b"someone@" not in before.content
        assert client.post("/admin/tenant/", {"slug": "acme-admin"}).status_code == 302
        after = client.get("/admin/models_app/customer/")
        assert b"someone@acme-admin.test" in after.content
        assert b"someone@globex-admin.test" not in after.content
        assert b"no tenant matches" in client.post("/admin/tenant/", {"slug": "missing"}).content.lower()
    finally:
        user.delete()
