"""The twenty analytics of docs/REQUIREMENTS.md: each metric defined once, run in PostgreSQL
(per tenant under RLS, or across tenants as the replication role) and in DuckDB, and printed
for Athena.

Public API (the lake's Gold layer and ``lake_verify`` use it)::

    metric_definitions() -> [MetricDefinition]   # .name .title .group .kind .description
                                                 # .sql(dialect, tenant_filter=None), dialects: DIALECTS
    chart_definitions(), load_queries(), metric_queries(), chart_queries()
    TENANT                                       # tenant_filter= for a bound %(tenant)s parameter
    run_for_tenant(d, tenant_id)                 # app role inside tenant_context (RLS + bound predicate)
    run_as_replication(conn, d, tenant_id=None)  # replication role (all tenants, or filtered)
    collect(ds, tenants, role="app"|"replication", conn=None) -> [MetricRun]
    run_duckdb(con, d), collect_duckdb(con, ds=None, tenant_ids=None) -> [MetricRun]
    compare_runs(expected, actual) -> [Mismatch], compare_results(name, a, b), values_equal(a, b)
    compare_with_source(duckdb_con, replication_conn) -> [Mismatch]   # all metrics, lake vs source
    row_counts_sql(dialect)                      # table_name, tenant_id, row_count per tenant table
    replication_connection(), list_tenants(conn)
    analytics.report: render_html(sections, ..., extra_sections=[ExtraSection(key, title, html)]), html_table(...)
"""

from analytics.collect import MetricRun, SelectionError, collect, select_metrics, select_tenants
from analytics.compare import Mismatch, compare_results, compare_runs, compare_with_source, values_equal
from analytics.definitions import (
    TENANT,
    MetricDefinition,
    all_definitions,
    chart_definitions,
    chart_queries,
    load_queries,
    metric_definitions,
    metric_queries,
    row_counts_sql,
    tenant_tables,
)
from analytics.duck import collect_duckdb, run_duckdb
from analytics.runner import (
    Result,
    TenantRef,
    list_tenants,
    replication_connection,
    run_as_replication,
    run_for_tenant,
)
from analytics.sqlgen import DIALECTS

__all__ = [
    "DIALECTS", "TENANT", "MetricDefinition", "MetricRun", "Mismatch", "Result", "SelectionError", "TenantRef",
    "all_definitions", "chart_definitions", "chart_queries", "collect", "collect_duckdb", "compare_results",
    "compare_runs", "compare_with_source", "list_tenants", "load_queries", "metric_definitions", "metric_queries",
    "replication_connection", "row_counts_sql", "run_as_replication", "run_duckdb", "run_for_tenant", "select_metrics",
    "select_tenants", "tenant_tables", "values_equal",
]
