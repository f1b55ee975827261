"""Managers that fail fast outside a tenant context and help the planner inside one.

PostgreSQL's policies are the boundary; these managers add two things on top:

* outside ``tenant_context`` every query raises :class:`TenantContextRequired` before any
  SQL is sent (an empty result would hide the bug);
* inside, they add ``tenant_id = <current>`` explicitly, so the planner picks the
  ``(tenant_id, ...)`` indexes even for queries the policy alone would scan.

Writes fill ``tenant_id`` from the context, so nobody passes it by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from tenancy.context import active_tenants, current_tenant_id


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        tenant_id = current_tenant_id(self.db)
        for obj in objs:
            if getattr(obj, "tenant_id", None) is None:
                obj.tenant_id = tenant_id
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of tenant-scoped models: ``tenant_id = current`` or an exception."""

    #: Column compared with the current tenant (``id`` for the tenant table itself).
    tenant_field = "tenant_id"

    def get_queryset(self) -> TenantQuerySet:
        tenant_id = current_tenant_id(self._db or "default", required=self._db is not None)
        if tenant_id is None:
            # No alias chosen yet (Django's inserts reach the base manager without one and pass
            # ``using`` later): the innermost context of any alias, else the usual exception.
            entries = active_tenants()
            tenant_id = entries[-1].tenant_id if entries else current_tenant_id("default")
        return super().get_queryset().filter(**{self.tenant_field: tenant_id})


class CurrentTenantManager(TenantManager):
    """Manager of :class:`~tenancy.models.Tenant`: the current tenant's row only."""

    tenant_field = "id"
