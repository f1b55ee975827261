"""Tenants and the tenant context.

Public API (import from ``tenancy``)::

    tenant_context(tenant_or_id, using="default")   # context manager and decorator
    current_tenant_id(using="default")               # raises TenantContextRequired outside
    resolve_tenant(slug=None, host=None)             # slug/host -> id via the resolver function
    create_tenant(name=..., slug=...)                # insert a tenant under its own context
    verified_tenant_id(using="default")              # what the database's verifier accepts now
    TenantContextRequired, TenantContextRejected, TenantNotFound, TenantInactive
    TenantMiddleware (tenancy.middleware), Tenant and TenantScopedModel (tenancy.models)
"""

from __future__ import annotations

from typing import Any

from tenancy.context import (
    active_tenants,
    current_tenant_id,
    database_tenant_id,
    tenant_context,
    verified_tenant_id,
)
from tenancy.exceptions import TenantContextRejected, TenantContextRequired, TenantInactive, TenantNotFound
from tenancy.resolution import resolve_tenant

__all__ = [
    "TenantContextRejected", "TenantContextRequired", "TenantInactive", "TenantNotFound", "active_tenants",
    "create_tenant", "current_tenant_id", "database_tenant_id", "resolve_tenant", "tenant_context",
    "verified_tenant_id",
]


def __getattr__(name: str) -> Any:
    # create_tenant needs the model registry; import it lazily so ``import tenancy`` stays cheap.
    if name == "create_tenant":
        from tenancy.services import create_tenant

        return create_tenant
    raise AttributeError(name)
