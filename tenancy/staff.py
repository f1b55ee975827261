"""Which tenants a staff user may administer.

Superusers may administer every tenant (the picker says so); any other staff user only the
tenants a :class:`~tenancy.models.StaffTenantAccess` row binds them to. Tenant names come
from the directory function (:data:`rls.roles.STAFF_DIRECTORY_FUNCTION`), which only the
staff role may execute: the app role cannot list tenants.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connections, router

from rls.roles import STAFF_DIRECTORY_FUNCTION
from tenancy.models import StaffTenantAccess


@dataclass(frozen=True)
class DirectoryEntry:
    id: uuid.UUID
    slug: str
    name: str
    domain: str | None
    is_active: bool
    #: Why this user may administer it: "superuser" (every tenant) or "granted" (a binding).
    access: str = "granted"


def tenant_directory() -> list[DirectoryEntry]:
    """Every tenant (id, slug, name, domain, active), ordered by name (as the staff role)."""
    with connections[router.db_for_read(StaffTenantAccess)].cursor() as cursor:
        cursor.execute(f"SELECT id, slug, name, domain, is_active FROM public.{STAFF_DIRECTORY_FUNCTION}()")  # noqa: S608
        rows = cursor.fetchall()
    return [DirectoryEntry(_uuid(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def administrable_tenants(user: Any) -> list[DirectoryEntry]:
    """The tenants ``user`` may administer (none for an inactive or non-staff user)."""
    if not (user.is_active and user.is_staff):
        return []
    directory = tenant_directory()
    if user.is_superuser:
        return [_with_access(entry, "superuser") for entry in directory]
    granted = set(StaffTenantAccess.objects.filter(user=user).values_list("tenant", flat=True))
    return [entry for entry in directory if entry.id in granted]


def administrable_tenant(user: Any, tenant_id: Any) -> DirectoryEntry | None:
    """The tenant if ``user`` may administer it, else None (unknown id, no binding, not staff)."""
    try:
        wanted = _uuid(tenant_id)
    except ValueError:
        return None
    return next((entry for entry in administrable_tenants(user) if entry.id == wanted), None)


def grant_tenant(user: Any, tenant_id: uuid.UUID) -> StaffTenantAccess:
    access, _ = StaffTenantAccess.objects.get_or_create(user=user, tenant=tenant_id)
    return access


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _with_access(entry: DirectoryEntry, access: str) -> DirectoryEntry:
    return DirectoryEntry(entry.id, entry.slug, entry.name, entry.domain, entry.is_active, access)
