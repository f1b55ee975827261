"""Host and input hygiene: domain capture, malformed X-Tenant / Host values, debug pages.

Domain capture runs as the app role inside the attacking tenant's own context (what SQL
injection in one of its requests could do); the requests go through the real middleware.
Each defence has a negative control that shows the attack working without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client

from project.database import BASE_DIR
from tenancy import create_tenant, resolve_tenant, tenant_context
from tenancy.models import Tenant, validate_tenant_domain
from tests.isolation.scratch import scratch_database
from tests.support import purge_tenants

pytestmark = [pytest.mark.rls]

CAPTURE_SQL = "UPDATE tenancy_tenant SET domain = %s"


@pytest.fixture
def shops(committed, settings) -> tuple[Tenant, Tenant]:
    settings.ALLOWED_HOSTS = [".localhost", "localhost", "testserver", ".shop.example.test"]
    return committed.tenant("attacker-shop"), committed.tenant("victim-shop")


def capture(tenant: Tenant, domain: str) -> None:
    """As the app role, in the attacker's own context: claim ``domain`` for the attacker's row."""
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(CAPTURE_SQL, [domain])


def tenant_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.json()["tenant"]


# ------------------------------------------------------------------ domain capture


def test_a_tenant_cannot_claim_another_tenants_platform_subdomain(shops) -> None:
    """Attack: tenant A sets its domain to '<B's slug>.localhost' (raw SQL as the app role) to capture B's host."""
    attacker, victim = shops
    for domain in (f"{victim.slug}.localhost", "localhost", "x.y.localhost"):
        with pytest.raises(IntegrityError, match="tenancy_tenant_domain_not_platform"), transaction.atomic():
            capture(attacker, domain)
    assert tenant_of(Client().get("/api/summary", HTTP_HOST=f"{victim.slug}.localhost")) == victim.slug


def test_the_model_and_create_tenant_refuse_platform_domains(settings) -> None:
    """Attack: register a tenant (admin form or create_tenant) whose domain is a platform host or subdomain."""
    settings.TENANT_PLATFORM_DOMAINS = ["localhost", "platform.example"]
    for domain in ("victim.localhost", "platform.example", "victim.platform.example", "127.0.0.1", "localhost",
                   "Shop.Example.COM", "shop.example.com:8000", "shop..example.com", "xn--caf-dma.example\x00"):
        with pytest.raises(ValidationError):
            validate_tenant_domain(domain)
        with pytest.raises(ValidationError):
            create_tenant(name="Never", slug="never-created", domain=domain)
    validate_tenant_domain("shop.example.com")


def test_platform_subdomains_resolve_by_slug_even_when_a_domain_claims_them(shops, settings) -> None:
    """Attack: a domain equal to '<B's slug>.<platform domain>' slips past the constraint (a platform domain
    added later): the middleware still routes '<B's slug>.<platform domain>' to B by its slug."""
    attacker, victim = shops
    settings.TENANT_PLATFORM_DOMAINS = ["localhost", "shop.example.test"]
    capture(attacker, f"{victim.slug}.shop.example.test")  # allowed by the CHECK: not under .localhost
    assert tenant_of(Client().get("/api/summary", HTTP_HOST=f"{victim.slug}.shop.example.test")) == victim.slug
    # Negative control: resolving the host by domain, as the middleware did before, gives the attacker.
    assert resolve_tenant(host=f"{victim.slug}.shop.example.test") == attacker.id


def test_control_without_the_constraint_the_capture_succeeds(django_db_setup, django_db_blocker) -> None:
    """Negative control: with the CHECK constraint dropped, tenant A claims '<B's slug>.localhost' and the
    domain lookup (the resolver the middleware used before) sends B's host to A."""
    drop = ["ALTER TABLE tenancy_tenant DROP CONSTRAINT tenancy_tenant_domain_not_platform"]
    with django_db_blocker.unblock(), scratch_database("domain_capture", drop):
        attacker = create_tenant(name="Attacker", slug="attacker-shop")
        victim = create_tenant(name="Victim", slug="victim-shop")
        try:
            capture(attacker, f"{victim.slug}.localhost")
            assert resolve_tenant(host=f"{victim.slug}.localhost") == attacker.id
        finally:
            purge_tenants([attacker.id, victim.id])
            for alias in connections:
                connections[alias].close()


# ------------------------------------------------------------------ malformed input


BAD_TENANT_HEADERS = ["acme\x00", "a" * 64, "a" * 10_000, "café", "acme; DROP TABLE x", "../acme", "ac me"]
BAD_HOSTS = ["acme\x00.localhost", "café.localhost", "a" * 300 + ".localhost", "acme.localhost:99999x",
             "acme.example.com", "[::1", "acme.localhost/evil"]


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings) -> Iterator[bool]:
    settings.DEBUG = request.param
    yield request.param


@pytest.mark.parametrize("value", BAD_TENANT_HEADERS, ids=range(len(BAD_TENANT_HEADERS)))
def test_a_malformed_x_tenant_is_a_400(shops, debug, value) -> None:
    """Attack: a NUL byte, an overlong or non-ASCII X-Tenant to provoke a 500 and a traceback."""
    response = Client(raise_request_exception=False).get("/api/summary", HTTP_X_TENANT=value)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_tenant"


def test_control_a_nul_byte_reaches_the_driver_without_the_check(shops) -> None:
    """Negative control: the same NUL byte handed to the resolver (what the middleware did) is an error
    from the driver, which Django turned into a 500 with a traceback under DEBUG."""
    with pytest.raises(ValueError, match="NUL"):
        resolve_tenant(slug="acme\x00")


@pytest.mark.parametrize("host", BAD_HOSTS, ids=range(len(BAD_HOSTS)))
def test_a_bad_host_is_a_plain_400_whatever_debug_says(shops, debug, host) -> None:
    """Attack: a Host outside ALLOWED_HOSTS ('<slug>.example.com'), malformed or overlong, to get the
    DisallowedHost debug page (settings, paths) or a 500."""
    response = Client(raise_request_exception=False).get("/api/summary", HTTP_HOST=host)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"DisallowedHost" not in response.content and b"Traceback" not in response.content
    admin = Client(raise_request_exception=False).get("/admin/", HTTP_HOST=host)
    assert admin.status_code == 400 and b"DisallowedHost" not in admin.content


def test_control_without_the_host_guard_debug_shows_the_disallowed_host_page(shops, settings) -> None:
    """Negative control: with DEBUG on and the host guard removed, Django answers with its debug page."""
    settings.DEBUG = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("HostGuardMiddleware")]
    response = Client(raise_request_exception=False).get("/api/summary", HTTP_HOST="acme.example.com")
    assert response.status_code == 400
    assert b"DisallowedHost" in response.content


# ------------------------------------------------------------------ DEBUG


def _debug_with(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    if env_value is not None:
        env["DJANGO_DEBUG"] = env_value
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env["LAKEHOUSE_NO_AUTOSTART"] = "1"
    code = "from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True,
                          timeout=120, check=True).stdout.strip()


def test_debug_is_off_unless_asked_for() -> None:
    """Attack: any error page of a default deployment shows a traceback and the settings (DEBUG defaulted to True)."""
    assert _debug_with(None) == "False"
    assert _debug_with("") == "False"
    assert _debug_with("0") == "False"
    assert _debug_with("1") == "True"  # control: asking for it works
