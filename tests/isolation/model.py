"""The independent in-memory model of a world: which rows exist and whose they are.

The properties compare what PostgreSQL returns against this model, never against another
query, so a bug that makes the database and the ORM agree on a wrong answer is still caught.
The model knows nothing about RLS: it is a plain dictionary of rows keyed by table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from models_app.models import DOMAIN_MODELS
from tenancy.models import Tenant

TENANT_TABLE = Tenant._meta.db_table


class IsolationViolation(AssertionError):
    """A tenant saw, changed or learned something that belongs to another tenant.

    The negative controls assert that exactly this error (not an incidental one) is raised.
    """


@dataclass
class Row:
    table: str
    id: uuid.UUID
    tenant_id: uuid.UUID
    fields: dict[str, Any]


@dataclass
class WorldModel:
    """Rows per table; ``tenants`` in creation order."""

    tenants: list[uuid.UUID] = field(default_factory=list)
    rows: dict[str, dict[uuid.UUID, Row]] = field(default_factory=dict)
    #: Hostile inserts the database refused while the world was built (kind, table).
    refused: list[tuple[str, str]] = field(default_factory=list)

    def add(self, table: str, row_id: uuid.UUID, tenant_id: uuid.UUID, **fields: Any) -> None:
        self.rows.setdefault(table, {})[row_id] = Row(table, row_id, tenant_id, fields)

    def visible(self, table: str, tenant: uuid.UUID) -> list[Row]:
        return [row for row in self.rows.get(table, {}).values() if row.tenant_id == tenant]

    def ids(self, table: str, tenant: uuid.UUID) -> set[uuid.UUID]:
        return {row.id for row in self.visible(table, tenant)}

    def union(self, table: str) -> set[uuid.UUID]:
        return set(self.rows.get(table, {}))

    def all_ids(self) -> list[uuid.UUID]:
        return [row_id for table in self.rows.values() for row_id in table]

    def owner_of(self, row_id: uuid.UUID) -> uuid.UUID | None:
        for table in self.rows.values():
            if row_id in table:
                return table[row_id].tenant_id
        return None

    def values_of(self, table: str, name: str) -> list[Any]:
        """Every value of a field across all tenants (filters then hit foreign values too)."""
        values = {row.id if name == "id" else row.fields.get(name) for row in self.rows.get(table, {}).values()}
        return sorted(values, key=repr)


def tables() -> list[str]:
    """Every tenant-scoped table, the tenant table first."""
    return [TENANT_TABLE, *(m._meta.db_table for m in DOMAIN_MODELS)]


def model_for(table: str) -> type[models.Model]:
    for model in (Tenant, *DOMAIN_MODELS):
        if model._meta.db_table == table:
            return model
    raise KeyError(table)


def tenant_column(table: str) -> str:
    return "id" if table == TENANT_TABLE else "tenant_id"


def tenant_foreign_keys() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """(child model, field) for every tenant foreign key between domain tables."""
    from tenancy.models import TenantForeignKey

    return [(model, f) for model in DOMAIN_MODELS for f in model._meta.concrete_fields
            if isinstance(f, TenantForeignKey)]
