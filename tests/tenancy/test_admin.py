"""The admin: one tenant at a time, picked from the tenants a staff user may administer."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command

from tenancy import TenantNotFound, resolve_tenant, tenant_context
from tenancy.middleware import ADMIN_SESSION_KEY
from tenancy.models import AdminLogTenant
from tests.factories import CustomerFactory
from tests.tenancy.conftest import logged_in

pytestmark = [pytest.mark.rls]

ACTIVE = re.compile(rb'id="active-tenant">([^<]*)<')


def active_tenant(content: bytes) -> str | None:
    found = ACTIVE.search(content)
    return found.group(1).decode() if found else None


def test_admin_lists_only_the_picked_tenant(committed, staff_users) -> None:
    acme, globex = committed.tenant("acme-admin"), committed.tenant("globex-admin")
    with tenant_context(acme):
        CustomerFactory(email="someone@acme-admin.test")
    with tenant_context(globex):
        CustomerFactory(email="someone@globex-admin.test")
    client = logged_in(staff_users(superuser=True))
    before = client.get("/admin/models_app/customer/")
    assert before.status_code == 200
    assert b"someone@" not in before.content
    assert client.post("/admin/tenant/", {"tenant": str(acme.id)}).status_code == 302
    after = client.get("/admin/models_app/customer/")
    assert b"someone@acme-admin.test" in after.content
    assert b"someone@globex-admin.test" not in after.content
    assert client.post("/admin/tenant/", {"slug": "globex-admin"}).status_code == 302  # a slug works too
    assert b"someone@globex-admin.test" in client.get("/admin/models_app/customer/").content
    assert client.post("/admin/tenant/", {"slug": "missing"}).status_code == 403


def test_staff_see_and_pick_only_the_tenants_they_are_bound_to(committed, staff_users) -> None:
    acme, globex = committed.tenant("acme-bound"), committed.tenant("globex-bound")
    with tenant_context(globex):
        CustomerFactory(email="secret@globex-bound.test")
    client = logged_in(staff_users(acme, perms=("models_app.view_customer",)))
    page = client.get("/admin/tenant/")
    assert page.status_code == 200
    assert b'data-tenant="acme-bound"' in page.content
    assert b"globex-bound" not in page.content
    refused = client.post("/admin/tenant/", {"tenant": str(globex.id)})
    assert refused.status_code == 403
    assert ADMIN_SESSION_KEY not in client.session
    assert b"secret@globex-bound.test" not in client.get("/admin/models_app/customer/").content
    assert client.post("/admin/tenant/", {"tenant": str(acme.id)}).status_code == 302
    assert client.session[ADMIN_SESSION_KEY] == str(acme.id)


def test_superusers_see_every_tenant_and_are_told_why(committed, staff_users) -> None:
    committed.tenant("acme-super"), committed.tenant("globex-super")
    page = logged_in(staff_users(superuser=True)).get("/admin/tenant/")
    assert b'data-tenant="acme-super"' in page.content and b'data-tenant="globex-super"' in page.content
    assert b"you may administer every tenant" in page.content
    assert b"superuser (every tenant)" in page.content


def test_an_inactive_tenant_is_picked_only_when_confirmed(committed, staff_users) -> None:
    sleepy = committed.tenant("sleepy-admin", is_active=False)
    client = logged_in(staff_users(sleepy))
    page = client.get("/admin/tenant/")
    assert b"Administer although inactive" in page.content and b"<strong>inactive</strong>" in page.content
    unconfirmed = client.post("/admin/tenant/", {"tenant": str(sleepy.id)})
    assert unconfirmed.status_code == 409
    assert b"is inactive: confirm" in unconfirmed.content
    assert ADMIN_SESSION_KEY not in client.session
    assert client.post("/admin/tenant/", {"tenant": str(sleepy.id), "confirm_inactive": "1"}).status_code == 302
    index = client.get("/admin/")
    assert active_tenant(index.content) == "Sleepy-Admin"
    assert b'<span class="tag">inactive</span>' in index.content


def test_a_withdrawn_binding_ends_the_pick_on_the_next_request(committed, staff_users) -> None:
    acme = committed.tenant("acme-withdrawn")
    user = staff_users(acme)
    client = logged_in(user)
    assert client.post("/admin/tenant/", {"tenant": str(acme.id)}).status_code == 302
    user.tenant_access.all().delete()
    index = client.get("/admin/")
    assert active_tenant(index.content) is None
    assert b"You may no longer administer the tenant" in index.content
    assert ADMIN_SESSION_KEY not in client.session


def test_without_a_pick_the_banner_is_an_admin_message_linking_the_picker(committed, staff_users) -> None:
    client = logged_in(staff_users(superuser=True))
    page = client.get("/admin/models_app/customer/")
    messages = page.content.split(b'<ul class="messagelist">', 1)[1].split(b"</ul>", 1)[0]
    assert b'class="warning"' in messages
    assert b'<a href="/admin/tenant/">pick the tenant to administer</a>' in messages
    index = client.get("/admin/")
    assert b'id="tenant-module"' in index.content and b'href="/admin/tenant/"' in index.content
    assert b"No tenant picked" in index.content


def test_every_admin_page_shows_the_active_tenant(committed, staff_users) -> None:
    acme = committed.tenant("acme-header", name="Acme Header Ltd")
    client = logged_in(staff_users(superuser=True))
    client.post("/admin/tenant/", {"tenant": str(acme.id)})
    for path in ("/admin/", "/admin/tenant/", "/admin/models_app/customer/", "/admin/models_app/customer/add/",
                 "/admin/tenancy/tenant/", f"/admin/tenancy/tenant/{acme.id}/change/", "/admin/auth/user/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert active_tenant(response.content) == "Acme Header Ltd", path


def test_add_tenant_creates_it_in_its_own_context_and_picks_it(committed, staff_users) -> None:
    client = logged_in(staff_users(superuser=True))
    response = client.post("/admin/tenancy/tenant/add/", {
        "name": "Added By Admin", "slug": "added-by-admin", "domain": "Shop.Added.TEST", "is_active": "on",
        "settings": "{}",
    })
    assert response.status_code == 302, response.content[-3000:]
    tenant_id = resolve_tenant(slug="added-by-admin")
    committed.tenant_ids.append(tenant_id)
    assert resolve_tenant(host="shop.added.test") == tenant_id  # stored normalised
    assert client.session[ADMIN_SESSION_KEY] == str(tenant_id)
    listing = client.get("/admin/tenancy/tenant/")
    assert b"added-by-admin" in listing.content and active_tenant(listing.content) == "Added By Admin"
    entry = LogEntry.objects.get(object_id=str(tenant_id))
    assert AdminLogTenant.objects.get(entry=entry).tenant == tenant_id


def test_add_tenant_refuses_duplicates_and_platform_domains_as_form_errors(committed, staff_users) -> None:
    existing = committed.tenant("taken-admin", domain="taken.example.test")
    client = logged_in(staff_users(superuser=True))
    client.post("/admin/tenant/", {"tenant": str(existing.id)})  # even from inside another tenant
    for data, error in [
        ({"name": "Other", "slug": "taken-admin"}, b"Another tenant already has this slug"),
        ({"name": "Taken-Admin", "slug": "fresh-admin"}, b"Another tenant already has this name"),
        ({"name": "Other", "slug": "fresh-admin", "domain": "taken.example.test"}, b"Another tenant already has"),
        ({"name": "Other", "slug": "fresh-admin", "domain": "taken-admin.localhost"}, b"belongs to the platform"),
        ({"name": "Other", "slug": "fresh-admin", "domain": "localhost"}, b"lower-case host name"),
    ]:
        response = client.post("/admin/tenancy/tenant/add/", {"is_active": "on", "settings": "{}", **data})
        assert response.status_code == 200, data
        assert error in response.content, data
    with pytest.raises(TenantNotFound):
        resolve_tenant(slug="fresh-admin")


def test_staff_with_the_add_permission_are_bound_to_the_tenant_they_add(committed, staff_users) -> None:
    user = staff_users(perms=("tenancy.add_tenant", "tenancy.view_tenant"))
    client = logged_in(user)
    response = client.post("/admin/tenancy/tenant/add/", {"name": "Staff Made", "slug": "staff-made",
                                                          "is_active": "on", "settings": "{}"})
    assert response.status_code == 302
    tenant_id = resolve_tenant(slug="staff-made")
    committed.tenant_ids.append(tenant_id)
    assert list(user.tenant_access.values_list("tenant", flat=True)) == [tenant_id]


def test_recent_actions_show_the_active_tenants_entries_only(committed, staff_users) -> None:
    acme, globex = committed.tenant("acme-log"), committed.tenant("globex-log")
    with tenant_context(acme):
        doomed = CustomerFactory(email="doomed@acme-log.test")
    client = logged_in(staff_users(superuser=True))
    client.post("/admin/tenant/", {"tenant": str(acme.id)})
    deleted = client.post("/admin/models_app/customer/", {
        "action": "delete_selected", "_selected_action": [str(doomed.id)], "post": "yes"})
    assert deleted.status_code == 302
    with tenant_context(acme):
        assert not type(doomed).objects.filter(id=doomed.id).exists()
    assert str(doomed) in client.get("/admin/").content.decode()
    client.post("/admin/tenant/", {"tenant": str(globex.id)})
    assert str(doomed) not in client.get("/admin/").content.decode()


def test_createsuperuser_uses_the_staff_role_by_default(committed, monkeypatch) -> None:
    name = "cli-super-admin"
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "first-pw")
    call_command("createsuperuser", interactive=False, username=name, email="cli@example.test", verbosity=0)
    try:
        user = User.objects.get(username=name)
        assert user.is_superuser and user.check_password("first-pw")
        assert logged_in(user).get("/admin/tenant/").status_code == 200
    finally:
        User.objects.filter(username=name).delete()


def test_the_admin_does_not_delete_tenants(committed, staff_users) -> None:
    acme = committed.tenant("acme-undeletable")
    client = logged_in(staff_users(superuser=True))
    client.post("/admin/tenant/", {"tenant": str(acme.id)})
    assert client.get(f"/admin/tenancy/tenant/{acme.id}/delete/").status_code == 403
    assert resolve_tenant(slug="acme-undeletable") == acme.id


def test_stop_administering_clears_the_pick(committed, staff_users) -> None:
    acme = committed.tenant("acme-clear")
    client = logged_in(staff_users(acme))
    client.post("/admin/tenant/", {"tenant": str(acme.id)})
    assert b"Stop administering Acme-Clear" in client.get("/admin/tenant/").content
    assert client.post("/admin/tenant/", {"action": "clear"}).status_code == 302
    assert ADMIN_SESSION_KEY not in client.session
    assert active_tenant(client.get("/admin/").content) is None
