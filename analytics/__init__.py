"""The §9 analytics: named SQL queries, run per tenant under RLS or across tenants.

Public API::

    load_queries() / metric_queries() / chart_queries()   # from analytics/sql/queries.sql
    run_for_tenant(query, tenant_id)                      # app role inside tenant_context
    run_as_replication(conn, query, tenant_id=None)       # replication role (all tenants, or filtered)
    replication_connection(), list_tenants(conn)
"""

from analytics.queries import Query, chart_queries, load_queries, metric_queries
from analytics.runner import (
    Result,
    TenantRef,
    list_tenants,
    replication_connection,
    run_as_replication,
    run_for_tenant,
)

__all__ = [
    "Query", "Result", "TenantRef", "chart_queries", "list_tenants", "load_queries", "metric_queries",
    "replication_connection", "run_as_replication", "run_for_tenant",
]
