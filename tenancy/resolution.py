"""Turning a slug or a host name into a tenant id, without cross-tenant read rights.

The app role sees only the current tenant's row of ``tenancy_tenant``, and before a
request has a tenant it sees none. The lookup therefore goes through the SECURITY DEFINER
function created by ``bootstrap_db`` (:func:`rls.roles.resolver_function_statements`),
which answers id and is_active for one tenant and nothing else.

A tenant id is not a credential: the policies accept a tenant only with a proof signed with
``LAKEHOUSE_CONTEXT_KEY`` for the current transaction (:mod:`rls.signing`), so an attacker
who resolves a slug through injected SQL learns an id and nothing it can use to switch
tenants (``tests/attacks/test_tenant_switching.py``).
"""

from __future__ import annotations

import uuid

from django.db import DEFAULT_DB_ALIAS, connections

from rls.roles import RESOLVE_FUNCTION
from tenancy.exceptions import TenantInactive, TenantNotFound


def resolve_tenant(slug: str | None = None, host: str | None = None, *,
                   using: str = DEFAULT_DB_ALIAS, allow_inactive: bool = False) -> uuid.UUID:
    """The id of the tenant with ``slug``, or whose domain (or subdomain slug) is ``host``."""
    if not slug and not host:
        raise TenantNotFound("no tenant slug or host given")
    host = host.split(":", 1)[0].lower() if host else None
    with connections[using].cursor() as cursor:
        # RESOLVE_FUNCTION is a constant identifier; the user's input goes in as parameters.
        cursor.execute(f"SELECT id, is_active FROM public.{RESOLVE_FUNCTION}(%s, %s)",  # noqa: S608
                       [slug or None, host])
        row = cursor.fetchone()
    if row is None:
        raise TenantNotFound(f"no tenant matches {'slug ' + repr(slug) if slug else 'host ' + repr(host)}")
    tenant_id, is_active = row
    if not is_active and not allow_inactive:
        raise TenantInactive(f"tenant {slug or host!r} is inactive")
    return tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id))
