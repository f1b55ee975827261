"""Run each request inside the tenant context of the tenant it addresses.

Resolution order: the ``X-Tenant`` header (a slug), then the host name (a tenant's
``domain``, or ``<slug>.<anything>``). No header on a platform host
(``TENANT_PLATFORM_HOSTS``: localhost, 127.0.0.1, testserver) → 400; unknown or inactive
→ 404. Paths in ``TENANT_EXEMPT_PATHS`` (admin, health check) need no tenant; the admin runs in
the tenant a staff user picked for the session (``tenancy.admin``). Both settings are
read at call time through :mod:`tenancy.conf`.

The middleware is synchronous. Django runs an async view behind it through
``async_to_sync``, and the view's ORM calls (``sync_to_async``, thread-sensitive) come back
to this thread and its connection, so they see the context's transaction and tenant.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from tenancy import conf
from tenancy.context import tenant_context
from tenancy.exceptions import TenantInactive, TenantNotFound
from tenancy.resolution import resolve_tenant

HEADER = "HTTP_X_TENANT"
ADMIN_SESSION_KEY = "admin_tenant_id"


class TenantMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _exempt(self, request: HttpRequest) -> bool:
        return any(request.path.startswith(prefix) for prefix in conf.exempt_paths())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant_id = None  # type: ignore[attr-defined]
        if self._exempt(request):
            session = getattr(request, "session", None)
            picked = session.get(ADMIN_SESSION_KEY) if session is not None else None
            if picked and request.path.startswith("/admin/"):
                request.tenant_id = picked  # type: ignore[attr-defined]
                with tenant_context(picked):
                    return self.get_response(request)
            return self.get_response(request)
        slug = request.META.get(HEADER, "").strip() or None
        host = None if slug else request.get_host().split(":", 1)[0].lower()
        if not slug and host in conf.platform_hosts():
            return _error(400, "missing_tenant", "Send an X-Tenant header or use the tenant's host name.")
        try:
            tenant_id = resolve_tenant(slug=slug, host=host)
        except TenantNotFound:
            return _error(404, "unknown_tenant", "No such tenant." if slug else "No tenant serves this host.")
        except TenantInactive:
            return _error(404, "inactive_tenant", "This tenant is not active.")
        request.tenant_id = tenant_id  # type: ignore[attr-defined]
        with tenant_context(tenant_id):
            return self.get_response(request)


def _error(status: int, code: str, message: str) -> HttpResponse:
    return JsonResponse({"error": code, "detail": message}, status=status)
