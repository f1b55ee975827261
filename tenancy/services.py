"""Creating tenants.

Even creating a tenant runs under RLS: the insert happens inside a context for the new
tenant's own id, so the tenant table's ``WITH CHECK (id = current tenant)`` admits it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from tenancy.context import tenant_context
from tenancy.ids import uuid7
from tenancy.models import Tenant, validate_tenant_domain


def create_tenant(*, name: str, slug: str, domain: str | None = None, settings: dict[str, Any] | None = None,
                  is_active: bool = True, tenant_id: uuid.UUID | None = None,
                  using: str = DEFAULT_DB_ALIAS) -> Tenant:
    """Insert a tenant row as the app role and return it.

    Raises ``django.core.exceptions.ValidationError`` for a domain of the platform (see
    :func:`tenancy.models.validate_tenant_domain`); the database refuses ``*.localhost`` too.
    """
    validate_tenant_domain(domain)
    new_id = tenant_id or uuid7()
    with tenant_context(new_id, using=using):
        return Tenant.objects.db_manager(using).create(
            id=new_id, name=name, slug=slug, domain=domain, settings=settings or {}, is_active=is_active,
        )
