"""Run the named queries as a tenant (app role + RLS) or across tenants (replication role).

Two ways, on purpose, and nothing in between:

* :func:`run_for_tenant` uses Django's ``default`` connection (the app role) inside
  ``tenant_context``. Row-level security is the boundary; the text also carries an explicit
  bound ``tenant_id = %(tenant)s`` on every tenant-table scan (derived from the definition's
  syntax tree), because the policy's initplan hides the tenant from the planner, which then
  misestimates the largest tenant's scans. A wrong id there returns nothing, never more.
* :func:`run_as_replication` uses a psycopg2 connection as the replication role
  (``BYPASSRLS``, read-only): every tenant's rows, grouped by ``tenant_id``; with
  ``tenant_id=`` the same filtered text as the app role (the RLS-tax benchmark's reference).

Tenants are listed through the replication role: the app role can only see the tenant of
its current context, so it cannot enumerate them (by design).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from analytics.definitions import TENANT, MetricDefinition
from project.database import connect
from tenancy import tenant_context


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str
    name: str
    is_active: bool = True


@dataclass
class Result:
    """Column names and rows of one query run (rows as tuples, database types kept)."""

    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def for_tenant(self, tenant_id: uuid.UUID) -> Result:
        """The rows of one tenant (``tenant_id`` is always the first column)."""
        return Result(self.columns, [row for row in self.rows if _as_uuid(row[0]) == tenant_id])

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def normalise_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # psycopg2 returns uuid columns as str unless an adapter is registered (Django registers
    # one, plain connections may not): make both paths return uuid.UUID.
    return [(_as_uuid(row[0]), *row[1:]) for row in rows]


def replication_connection(dbname: str | None = None):
    """An autocommit, read-only psycopg2 connection as the replication role."""

    conn = connect("replication", dbname=dbname)
    conn.set_session(readonly=True, autocommit=True)
    return conn


def list_tenants(conn) -> list[TenantRef]:
    """Every tenant, by slug (read as the replication role, which sees all of them)."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT id, slug, name, is_active FROM tenancy_tenant ORDER BY slug")
        return [TenantRef(_as_uuid(r[0]), r[1], r[2], r[3]) for r in cursor.fetchall()]


def run_for_tenant(query: MetricDefinition, tenant_id: uuid.UUID, *, using: str = "default") -> Result:
    """``query`` as the app role inside ``tenant_context(tenant_id)``: RLS restricts it."""
    with tenant_context(tenant_id, using=using), connections[using].cursor() as cursor:
        cursor.execute(query.sql("postgres", TENANT), {"tenant": str(tenant_id)})
        columns = [c[0] for c in cursor.description]
        return Result(columns, normalise_rows(cursor.fetchall()))


def run_as_replication(conn, query: MetricDefinition, *, tenant_id: uuid.UUID | None = None) -> Result:
    """``query`` as the replication role: all tenants, or one through the explicit filter."""
    with conn.cursor() as cursor:
        if tenant_id is None:
            cursor.execute(query.sql("postgres"))
        else:
            cursor.execute(query.sql("postgres", TENANT), {"tenant": str(tenant_id)})
        columns = [c[0] for c in cursor.description]
        return Result(columns, normalise_rows(cursor.fetchall()))
