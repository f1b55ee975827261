"""Run each request inside the tenant context of the tenant it addresses.

Resolution order: the ``X-Tenant`` header (a slug), then the host name. A host under a
platform domain (``TENANT_PLATFORM_DOMAINS``: ``<slug>.localhost``) resolves by its slug
only, so no tenant can capture another's address by claiming it as its ``domain``; any other
host resolves by a tenant's ``domain`` (or ``<slug>.<anything>``). No header on a platform
host (``TENANT_PLATFORM_HOSTS``: localhost, 127.0.0.1, testserver) → 400; a malformed header
→ 400; unknown or inactive → 404. Paths in ``TENANT_EXEMPT_PATHS`` (admin, health check)
need no tenant; the admin runs in the tenant a staff user picked for the session
(``tenancy.admin``), re-checked on every request against the tenants that user may
administer (``tenancy.staff``). Settings are read at call time through :mod:`tenancy.conf`.

The middleware is synchronous. Django runs an async view behind it through
``async_to_sync``, and the view's ORM calls (``sync_to_async``, thread-sensitive) come back
to this thread and its connection, so they see the context's transaction and tenant.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.request import split_domain_port

from tenancy import conf
from tenancy.context import tenant_context
from tenancy.exceptions import TenantInactive, TenantNotFound
from tenancy.resolution import resolve_tenant
from tenancy.staff import administrable_tenant

logger = logging.getLogger(__name__)

HEADER = "HTTP_X_TENANT"
ADMIN_SESSION_KEY = "admin_tenant_id"
ADMIN_PREFIX = "/admin/"
#: What a tenant slug can be (Django's SlugField, 63 characters): anything else in X-Tenant is a 400.
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,63}")
#: The longest DNS name (253) plus a port.
MAX_HOST_LENGTH = 253 + 6


class HostGuardMiddleware:
    """A Host header Django refuses (not in ALLOWED_HOSTS, malformed, overlong) is a plain 400.

    Django raises ``DisallowedHost`` wherever ``get_host()`` is first called; with
    ``DEBUG`` on that becomes a debug page naming the settings. Checked first, here, it is
    always the same short text response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            host = request.get_host()
        except DisallowedHost as exc:
            logger.warning("refused Host header: %s", exc)
            return _bad_host()
        if len(host) > MAX_HOST_LENGTH:
            return _bad_host()
        return self.get_response(request)


class TenantMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _exempt(self, request: HttpRequest) -> bool:
        return any(request.path.startswith(prefix) for prefix in conf.exempt_paths())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant_id = None  # type: ignore[attr-defined]
        request.admin_tenant = None  # type: ignore[attr-defined]
        if self._exempt(request):
            if request.path.startswith(ADMIN_PREFIX):
                return self._admin(request)
            return self.get_response(request)
        slug = request.META.get(HEADER, "").strip() or None
        host = None
        if slug is not None and not SLUG_RE.fullmatch(slug):
            return _error(400, "bad_tenant", "X-Tenant must be a tenant slug (letters, digits, '-' and '_', "
                                             "at most 63 characters).")
        if slug is None:
            try:
                host, _port = split_domain_port(request.get_host())
            except DisallowedHost:
                return _bad_host()
            if host in conf.platform_hosts():
                return _error(400, "missing_tenant", "Send an X-Tenant header or use the tenant's host name.")
            label = platform_subdomain(host)
            if label is not None:
                if not SLUG_RE.fullmatch(label):
                    return _error(404, "unknown_tenant", "No tenant serves this host.")
                slug, host = label, None
        try:
            tenant_id = resolve_tenant(slug=slug, host=host)
        except TenantNotFound:
            return _error(404, "unknown_tenant", "No such tenant." if slug else "No tenant serves this host.")
        except TenantInactive:
            return _error(404, "inactive_tenant", "This tenant is not active.")
        request.tenant_id = tenant_id  # type: ignore[attr-defined]
        with tenant_context(tenant_id):
            return self.get_response(request)

    def _admin(self, request: HttpRequest) -> HttpResponse:
        """The admin runs in the picked tenant if this user may still administer it."""
        session = getattr(request, "session", None)
        picked = session.get(ADMIN_SESSION_KEY) if session is not None else None
        if not picked:
            return self.get_response(request)
        entry = administrable_tenant(request.user, picked)  # type: ignore[attr-defined]
        if entry is None:
            session.pop(ADMIN_SESSION_KEY, None)  # type: ignore[union-attr]
            if request.user.is_authenticated:  # type: ignore[attr-defined]
                messages.warning(request, "You may no longer administer the tenant you had picked: pick another.")
            return self.get_response(request)
        request.tenant_id = entry.id  # type: ignore[attr-defined]
        request.admin_tenant = entry  # type: ignore[attr-defined]
        with tenant_context(entry.id):
            return self.get_response(request)


def platform_subdomain(host: str) -> str | None:
    """``acme`` for ``acme.localhost`` (a platform domain), else None."""
    for domain in conf.platform_domains():
        suffix = "." + domain
        if host.endswith(suffix) and len(host) > len(suffix):
            return host[: -len(suffix)]
    return None


def _error(status: int, code: str, message: str) -> HttpResponse:
    return JsonResponse({"error": code, "detail": message}, status=status)


def _bad_host() -> HttpResponse:
    return HttpResponseBadRequest("Bad Request (400): unknown or malformed Host header.\n",
                                  content_type="text/plain; charset=utf-8")
