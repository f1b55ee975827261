"""Pick queries and tenants by name and run them: the logic behind ``metrics`` and ``report``.

Kept apart from the commands so tests and the report call the same code, and so a bad
name fails with one message listing what exists, wherever it was typed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analytics.definitions import MetricDefinition, metric_queries
from analytics.runner import Result, TenantRef, list_tenants, run_as_replication, run_for_tenant

ROLES = ("app", "replication")


class SelectionError(LookupError):
    """An unknown metric or tenant name; the message lists the valid ones."""


def select_metrics(names: Iterable[str] | None,
                   available: dict[str, MetricDefinition] | None = None) -> list[MetricDefinition]:
    available = metric_queries() if available is None else available
    wanted = list(names or [])
    if not wanted:
        return list(available.values())
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise SelectionError(
            f"unknown metric {', '.join(map(repr, unknown))}; available metrics: {', '.join(available)}"
        )
    return [available[n] for n in dict.fromkeys(wanted)]


def select_tenants(conn, slugs: Iterable[str] | None) -> list[TenantRef]:
    tenants = list_tenants(conn)
    wanted = list(slugs or [])
    if not tenants:
        raise SelectionError("there are no tenants in this database; seed some first (python manage.py seed_all)")
    if not wanted:
        return tenants
    by_slug = {t.slug: t for t in tenants}
    unknown = [s for s in wanted if s not in by_slug]
    if unknown:
        raise SelectionError(
            f"unknown tenant {', '.join(map(repr, unknown))}; tenants: {', '.join(by_slug)}"
        )
    return [by_slug[s] for s in dict.fromkeys(wanted)]


@dataclass
class MetricRun:
    """One query's result for each selected tenant (keyed by tenant id)."""

    query: MetricDefinition
    columns: list[str]
    by_tenant: dict[uuid.UUID, Result]


def collect(queries: Sequence[MetricDefinition], tenants: Sequence[TenantRef], *, role: str = "app",
            conn=None) -> list[MetricRun]:
    """Run each query for each tenant.

    ``role="app"``: once per tenant as the app role under ``tenant_context`` (RLS decides).
    ``role="replication"``: once in all as the replication role (``conn``), rows split by
    ``tenant_id`` - the cross-tenant view a lakehouse reader has.
    """
    if role not in ROLES:
        raise SelectionError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    runs: list[MetricRun] = []
    for query in queries:
        by_tenant: dict[uuid.UUID, Result] = {}
        if role == "app":
            for tenant in tenants:
                by_tenant[tenant.id] = run_for_tenant(query, tenant.id)
        else:
            if conn is None:
                raise ValueError("role='replication' needs a replication connection")
            everything = run_as_replication(conn, query)
            for tenant in tenants:
                by_tenant[tenant.id] = everything.for_tenant(tenant.id)
        columns = next(iter(by_tenant.values())).columns if by_tenant else []
        runs.append(MetricRun(query, columns, by_tenant))
    return runs
