"""The proof: Silver equals the source for every table and tenant, and Gold equals PostgreSQL.

Tables: per (table, tenant) the row count and an order-independent fingerprint (the sum of a
60-bit hash of each row's canonical text, ``lakehouse.sql.row_hash_sql``) computed by each
engine where the data lives, so no rows move unless they differ; then, for a tenant that
differs, every key's hash from both sides names the missing, extra and changed keys.

Metrics: each Gold table against the same definition run in PostgreSQL as the replication
role, compared by ``analytics.compare_runs`` (exact for counts and decimal sums, a fixed
scale for ratios).

The source is read as the replication role (what DMS reads); the caller owns that connection.
The source must be quiescent, or drained to the moment of the comparison (``dms_task --once``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from analytics import collect, compare_runs, list_tenants, metric_definitions
from lakehouse import gold, sql
from lakehouse.schema import TableSpec, table_specs
from lakehouse.silver import DATABASE_FILE, SilverError, connect

logger = logging.getLogger(__name__)
#: How many differing keys a table check lists (the count is always complete).
MAX_KEYS = 20


@dataclass
class TableCheck:
    table: str
    tenant: str
    source_rows: int
    lake_rows: int
    source_fingerprint: int
    lake_fingerprint: int
    missing_in_lake: list[str] = field(default_factory=list)
    extra_in_lake: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    differing_keys: int = 0

    @property
    def ok(self) -> bool:
        return self.source_rows == self.lake_rows and self.source_fingerprint == self.lake_fingerprint


@dataclass
class VerifyReport:
    tables: list[TableCheck] = field(default_factory=list)
    metric_differences: list[str] = field(default_factory=list)
    metrics_checked: int = 0
    #: Per metric: its title and the rows each engine returned, and how many values differ.
    metrics: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    freshness: dict[str, Any] = field(default_factory=dict)

    @property
    def table_differences(self) -> list[TableCheck]:
        return [check for check in self.tables if not check.ok]

    @property
    def ok(self) -> bool:
        return not self.table_differences and not self.metric_differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tables_checked": len({c.table for c in self.tables}),
            "table_tenant_pairs": len(self.tables),
            "table_differences": [asdict(c) for c in self.table_differences],
            "metrics_checked": self.metrics_checked,
            "metric_differences": self.metric_differences,
            "metrics": self.metrics,
            "rows": self.rows,
            "freshness": self.freshness,
        }


def _fingerprints_pg(conn, spec: TableSpec) -> dict[str, tuple[int, int]]:
    with conn.cursor() as cursor:
        cursor.execute(sql.fingerprint_sql(spec, "postgresql"))
        return {tenant: (int(n), int(fp)) for tenant, n, fp in cursor.fetchall()}


def _fingerprints_lake(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> dict[str, tuple[int, int]]:
    return {tenant: (int(n), int(fp)) for tenant, n, fp in con.execute(sql.fingerprint_sql(spec, "duckdb")).fetchall()}


def _keys_pg(conn, spec: TableSpec, tenant: str) -> dict[str, int]:
    with conn.cursor() as cursor:
        cursor.execute(sql.key_hashes_sql(spec, "postgresql"), [tenant])
        return dict(cursor.fetchall())


def _keys_lake(con: duckdb.DuckDBPyConnection, spec: TableSpec, tenant: str) -> dict[str, int]:
    return dict(con.execute(sql.key_hashes_sql(spec, "duckdb"), [tenant]).fetchall())


def check_tables(conn, con: duckdb.DuckDBPyConnection, specs: list[TableSpec]) -> list[TableCheck]:
    checks = []
    for spec in specs:
        source, lake = _fingerprints_pg(conn, spec), _fingerprints_lake(con, spec)
        for tenant in sorted(source.keys() | lake.keys()):
            (sn, sf), (ln, lf) = source.get(tenant, (0, 0)), lake.get(tenant, (0, 0))
            check = TableCheck(spec.name, tenant, sn, ln, sf, lf)
            if not check.ok:
                left, right = _keys_pg(conn, spec, tenant), _keys_lake(con, spec, tenant)
                missing = sorted(left.keys() - right.keys())
                extra = sorted(right.keys() - left.keys())
                changed = sorted(k for k in left.keys() & right.keys() if left[k] != right[k])
                check.differing_keys = len(missing) + len(extra) + len(changed)
                check.missing_in_lake, check.extra_in_lake = missing[:MAX_KEYS], extra[:MAX_KEYS]
                check.changed = changed[:MAX_KEYS]
            checks.append(check)
    return checks


def check_metrics(conn, con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], list[str]]:
    """Every Gold table against PostgreSQL, tenant by tenant."""
    tenants = list_tenants(conn)
    expected = collect(metric_definitions(), tenants, role="replication", conn=conn)
    actual = gold.read_gold(con, [t.id for t in tenants])
    mismatches = compare_runs(expected, actual)
    summary = []
    for source, lake in zip(expected, actual, strict=True):
        summary.append({
            "metric": source.query.name, "title": source.query.title,
            "source_rows": sum(len(r.rows) for r in source.by_tenant.values()),
            "lake_rows": sum(len(r.rows) for r in lake.by_tenant.values()),
            "differences": sum(1 for m in mismatches if m.metric == source.query.name),
        })
    return summary, [str(m) for m in mismatches]


def freshness(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Commit → visible in Silver, over every CDC row the lake applied (seconds)."""
    n, p50, p95, worst = con.execute(sql.FRESHNESS_SUMMARY).fetchall()[0]
    marks = con.execute(sql.WATERMARKS).fetchall()
    return {"cdc_rows": n, "p50_seconds": p50, "p95_seconds": p95, "max_seconds": worst,
            "watermarks": {t: {"change_seq": s, "commit_timestamp": c} for t, s, c in marks}}


def row_counts(checks: list[TableCheck]) -> dict[str, dict[str, int]]:
    """Rows per table on each side (the sum of the per-tenant counts)."""
    out: dict[str, dict[str, int]] = {}
    for check in checks:
        entry = out.setdefault(check.table, {"source": 0, "lake": 0})
        entry["source"] += check.source_rows
        entry["lake"] += check.lake_rows
    return out


def require_lake(warehouse: Path) -> None:
    if not (Path(warehouse) / DATABASE_FILE).exists():
        raise SilverError(f"there is no lake in {warehouse}; build it first (python manage.py lake_build)")


def verify(conn, warehouse: Path, *, with_metrics: bool = True, specs: list[TableSpec] | None = None) -> VerifyReport:
    """Compare the warehouse with the source behind ``conn`` (a replication-role connection)."""
    specs = table_specs() if specs is None else specs
    require_lake(warehouse)
    con = connect(warehouse, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        report = VerifyReport(tables=check_tables(conn, con, specs))
        report.rows = row_counts(report.tables)
        if with_metrics:
            report.metrics, report.metric_differences = check_metrics(conn, con)
            report.metrics_checked = len(report.metrics)
        report.freshness = freshness(con)
        return report
    finally:
        con.close()

