"""One definition, two engines: the PostgreSQL text in PostgreSQL equals the DuckDB text in DuckDB.

The test world's tables are copied into DuckDB (``duck_export``) under their source names and
types; every definition then runs as the replication role in PostgreSQL and as its DuckDB
text, and the rows are compared with :mod:`analytics.compare` (exact for counts and decimal
sums, one unit of the rounded scale for ratios).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlglot

from analytics.collect import collect
from analytics.compare import compare_results, compare_runs, values_equal
from analytics.definitions import all_definitions, load_queries, tenant_tables
from analytics.duck import collect_duckdb, run_duckdb
from analytics.runner import Result, TenantRef, normalise_rows, run_as_replication
from tests.analytics.duck_export import export_tables


def _export(django_db_blocker, *, dms: bool):
    from django.db import connections

    from project.database import connect

    with django_db_blocker.unblock():
        conn = connect("replication", dbname=connections["default"].settings_dict["NAME"])
        conn.autocommit = True
        try:
            return export_tables(conn, sorted({*tenant_tables(), "tenancy_tenant"}), dms=dms)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def duck(metrics_world, django_db_blocker):
    """The source tables with their PostgreSQL types."""
    return _export(django_db_blocker, dms=False)


@pytest.fixture(scope="module")
def duck_dms(metrics_world, django_db_blocker):
    """The same rows typed as DMS lands them in Parquet (decimal(28,6), timestamps without zone, in UTC)."""
    return _export(django_db_blocker, dms=True)


@pytest.mark.parametrize("name", [d.name for d in all_definitions()])
def test_duckdb_text_equals_postgres_text_over_dms_types(world_db, replication_conn, duck_dms, name: str) -> None:
    definition = load_queries()[name]
    tenants = [TenantRef(tid, slug, slug) for slug, tid in world_db.tenants.items()]
    expected = collect([definition], tenants, role="replication", conn=replication_conn)
    mismatches = compare_runs(expected, collect_duckdb(duck_dms, [definition], [t.id for t in tenants]))
    assert not mismatches, "\n".join(map(str, mismatches[:10]))


@pytest.mark.parametrize("name", [d.name for d in all_definitions()])
def test_duckdb_text_equals_postgres_text(world_db, replication_conn, duck, name: str) -> None:
    definition = load_queries()[name]
    tenants = [TenantRef(tid, slug, slug) for slug, tid in world_db.tenants.items()]
    expected = collect([definition], tenants, role="replication", conn=replication_conn)
    actual = collect_duckdb(duck, [definition], [t.id for t in tenants])
    for tenant in tenants:
        assert expected[0].by_tenant[tenant.id].rows, f"{name}: no rows for {tenant.slug}, nothing compared"
    mismatches = compare_runs(expected, actual)
    assert not mismatches, "\n".join(map(str, mismatches[:10]))


def test_duckdb_literal_tenant_filter_gives_that_tenants_rows(world_db, duck) -> None:
    definition = load_queries()["category_performance"]
    everything = run_duckdb(duck, definition)
    for tenant_id in world_db.tenants.values():
        mine = run_duckdb(duck, definition, tenant_id=tenant_id)
        assert mine.rows and mine.rows == everything.for_tenant(tenant_id).rows


def test_comparison_catches_a_changed_row(world_db, replication_conn, duck) -> None:
    """Negative control: one changed decimal sum, one missing row, one ratio off by more than its scale."""
    definition = load_queries()["category_performance"]
    tenant_id = next(iter(world_db.tenants.values()))
    expected = run_as_replication(replication_conn, definition, tenant_id=tenant_id)
    actual = run_duckdb(duck, definition, tenant_id=tenant_id)
    assert not compare_results(definition.name, expected, actual)
    revenue = expected.columns.index("revenue")
    changed = [list(r) for r in actual.rows]
    changed[0][revenue] += Decimal("0.01")
    found = compare_results(definition.name, expected, Result(actual.columns, [tuple(r) for r in changed]))
    assert [(m.row, m.column) for m in found] == [(0, "revenue")]
    shorter = compare_results(definition.name, expected, Result(actual.columns, actual.rows[1:]))
    assert "rows expected" in shorter[0].detail


def test_compare_with_source_is_empty_when_equal_and_names_a_missing_tenant(world_db, replication_conn, duck,
                                                                            django_db_blocker) -> None:
    """lake_verify's one call: equal here; with one tenant's orders gone from the lake, it says which."""
    from analytics.compare import compare_with_source

    wanted = set(world_db.tenants.values())
    relevant = [m for m in compare_with_source(duck, replication_conn) if m.tenant_id in wanted]
    assert relevant == []
    victim = next(iter(world_db.tenants.values()))
    lake = duck.cursor()
    lake.execute("CREATE TEMP TABLE models_app_order AS SELECT * FROM main.models_app_order WHERE tenant_id <> ?",
                 [str(victim)])
    try:
        found = compare_with_source(lake, replication_conn, [load_queries()["average_order_value"]])
        assert [m.tenant_id for m in found if m.tenant_id in wanted] == [victim]
    finally:
        lake.execute("DROP TABLE temp.models_app_order")


def test_value_rule() -> None:
    assert values_equal(3, Decimal("3.00")) and not values_equal(3, 4)
    assert values_equal(Decimal("10.25"), Decimal("10.250")) and not values_equal(Decimal("10.25"), Decimal("10.26"))
    assert values_equal(Decimal("0.1235"), 0.1234)  # round() of a double may land on the other side of a tie
    assert not values_equal(Decimal("0.1235"), 0.1237)
    assert values_equal(Decimal("12.4"), 12.3) and not values_equal(Decimal("12.4"), 12.2)
    assert values_equal(None, None) and not values_equal(None, 0)
    assert values_equal(uuid.UUID(int=1), str(uuid.UUID(int=1)))
    assert values_equal(dt.date(2025, 1, 1), dt.date(2025, 1, 1)) and not values_equal("a", "b")


@pytest.mark.parametrize("name", [d.name for d in all_definitions()])
def test_athena_text_read_back_into_duckdb_equals_postgres(world_db, replication_conn, duck, name: str) -> None:
    """The Athena text cannot run here; read as Trino and written for DuckDB, it gives PostgreSQL's rows.

    This does not prove Trino's semantics (sqlglot maps them), but it catches a repair that
    changes the meaning: the exact percentile, the decimal casts, date_diff, day_of_week.
    """
    definition = load_queries()[name]
    text = sqlglot.transpile(definition.sql("athena", pretty=False), read="trino", write="duckdb")[0]
    duck.execute("SET TimeZone = 'UTC'")
    # Trino's at_timezone(ts, zone), which sqlglot does not map back, as DuckDB's timezone(zone, ts).
    duck.execute("CREATE OR REPLACE MACRO at_timezone(ts, zone) AS timezone(zone, ts)")
    cursor = duck.execute(text)
    actual = Result([c[0] for c in cursor.description], normalise_rows(cursor.fetchall()))
    expected = run_as_replication(replication_conn, definition)
    wanted = set(world_db.tenants.values())
    mismatches = []
    for tenant_id in wanted:
        mismatches += compare_results(name, expected.for_tenant(tenant_id), actual.for_tenant(tenant_id),
                                      tenant_id=tenant_id)
    assert not mismatches, "\n".join(map(str, mismatches[:10]))
