"""The definitions' contract: twenty metrics, each runnable as a tenant and across tenants."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from django.db import connection
from sqlglot import exp

from analytics.definitions import (
    TENANT,
    CatalogError,
    all_definitions,
    chart_queries,
    load_queries,
    metric_queries,
    tenant_tables,
)
from analytics.runner import run_as_replication, run_for_tenant
from analytics.sqlgen import MetricSQLError, add_tenant_filter, parse, tenant_scans

#: The metrics of docs/REQUIREMENTS.md, in its order: the names are part of the interface (docs, --metric, JSON keys).
SECTION_9 = [
    "revenue_by_tenant_over_time", "average_order_value", "revenue_growth", "category_performance",
    "customer_acquisition", "customer_lifetime_value", "customer_retention_cohorts", "customer_churn",
    "best_selling_products", "inventory_turnover", "product_profitability", "category_trends",
    "conversion_funnel", "session_duration_trends", "cart_abandonment", "engagement_score",
    "mrr", "subscription_churn", "plan_distribution", "payment_success_rate",
]


def test_the_twenty_metrics_of_section_9_are_there_in_order() -> None:
    assert list(metric_queries()) == SECTION_9
    assert set(chart_queries()).isdisjoint(SECTION_9)


@pytest.mark.parametrize("name", list(load_queries()))
def test_every_tenant_scan_gets_the_filter_and_no_definition_filters_by_tenant(name: str) -> None:
    definition = load_queries()[name]
    scans = tenant_scans(definition.tree, tenant_tables())
    assert scans, f"{name} reads no tenant table"
    # Tenant scoping is RLS's job (app role) or the filter's (replication role), never the definition's.
    assert "tenant_id = '" not in definition.source and "current_setting" not in definition.source
    assert definition.tree.find(exp.Placeholder) is None
    filtered = parse(definition.sql("postgres", TENANT), name=name)
    conditions = [eq for eq in filtered.find_all(exp.EQ) if isinstance(eq.expression, exp.Placeholder)]
    assert sorted(eq.this.table for eq in conditions) == sorted(t.alias_or_name for t in scans)
    assert all(eq.this.name == "tenant_id" for eq in conditions)
    assert definition.tree.selects[0].alias_or_name == "tenant_id", "tenant_id comes first"


def test_filter_goes_into_where_for_from_and_into_on_for_joins() -> None:
    tree = parse("SELECT o.tenant_id FROM models_app_order AS o "
                 "LEFT JOIN models_app_orderitem AS oi ON oi.order_id = o.id WHERE o.status = 'x'")
    text = add_tenant_filter(tree, tenant_tables(), TENANT).sql("postgres")
    assert "ON oi.order_id = o.id AND oi.tenant_id = %(tenant)s" in text
    assert "WHERE o.status = 'x' AND o.tenant_id = %(tenant)s" in text
    literal = add_tenant_filter(tree, tenant_tables(), "00000000-0000-0000-0000-00000000000a").sql("duckdb")
    assert "o.tenant_id = '00000000-0000-0000-0000-00000000000a'" in literal
    with pytest.raises(ValueError):
        add_tenant_filter(tree, tenant_tables(), "not-a-uuid")
    full = parse("SELECT a.tenant_id FROM models_app_order AS a FULL JOIN models_app_invoice AS i ON i.id = a.id")
    with pytest.raises(MetricSQLError, match="FULL"):
        add_tenant_filter(full, tenant_tables(), TENANT)


def test_tenant_tables_are_the_rls_registry() -> None:
    tables = tenant_tables()
    assert {"models_app_order", "models_app_event", "models_app_invoice"} <= set(tables)
    assert tables["models_app_order"] == "tenant_id" and tables.get("tenancy_tenant", "id") == "id"
    tree = parse("SELECT t.id AS tenant_id FROM tenancy_tenant AS t")
    assert "t.id = %(tenant)s" in add_tenant_filter(tree, tables, TENANT).sql("postgres")


def _catalog(tmp_path: Path, entries: str, files: dict[str, str]) -> Path:
    (tmp_path / "catalog.toml").write_text(entries, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.sql").write_text(text, encoding="utf-8")
    return tmp_path


ENTRY = '[[metric]]\nname = "{name}"\ntitle = "T"\ngroup = "g"\nkind = "{kind}"\ndescription = "d"\n'


def test_catalog_rejects_broken_definitions(tmp_path: Path) -> None:
    ok = "SELECT o.tenant_id FROM models_app_order AS o"
    cases = [
        (ENTRY.format(name="a", kind="metric") * 2, {"a": ok}, "duplicate"),
        (ENTRY.format(name="a", kind="metric"), {"a": "SELECT 'x' LIKE 'y%'"}, "percent"),
        (ENTRY.format(name="a", kind="metric"), {}, "no file"),
        (ENTRY.format(name="a", kind="gauge"), {"a": ok}, "kind"),
        (ENTRY.format(name="a", kind="metric"), {"a": ok, "b": ok}, "without a catalog entry"),
        (ENTRY.format(name="a", kind="metric"), {"a": ok + "; SELECT 1"}, "one statement"),
    ]
    for i, (entries, files, message) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        with pytest.raises(CatalogError, match=message):
            all_definitions(_catalog(folder, entries, files))
    (tmp_path / "good").mkdir()
    good = _catalog(tmp_path / "good", ENTRY.format(name="a", kind="metric"), {"a": ok})
    assert [d.name for d in all_definitions(good)] == ["a"]


def test_filtered_variant_only_adds_tenant_conditions() -> None:
    definition = load_queries()["category_performance"]
    filtered = definition.sql("postgres", TENANT)
    assert filtered.count("%(tenant)s") == 3
    for alias in ("oi", "o", "p"):
        assert f"{alias}.tenant_id = %(tenant)s" in filtered
    tree = parse(filtered)
    for eq in list(tree.find_all(exp.EQ)):
        if isinstance(eq.expression, exp.Placeholder):
            parent = eq.parent
            assert isinstance(parent, exp.And)
            parent.replace(parent.left if parent.right is eq else parent.right)

    def flat(node: exp.Expression) -> str:  # (a AND b) AND c reads as a AND b AND c
        for paren in list(node.find_all(exp.Paren)):
            if isinstance(paren.this, exp.And):
                paren.replace(paren.this)
        return node.sql("postgres")

    assert flat(tree) == flat(sqlglot.parse_one(definition.sql("postgres"), read="postgres"))


@pytest.mark.rls
@pytest.mark.parametrize("name", list(load_queries()))
def test_per_tenant_rows_equal_the_replication_rows_of_that_tenant(world_db, replication_conn, name: str) -> None:
    """The core promise: RLS gives a tenant exactly its slice of the cross-tenant result."""
    query = load_queries()[name]
    with replication_conn.cursor() as cursor:
        # A far-away session time zone: the UTC bucketing must not depend on it.
        cursor.execute("SET TimeZone = 'Pacific/Chatham'")
    everything = run_as_replication(replication_conn, query)
    results = {}
    for slug, tenant_id in world_db.tenants.items():
        mine = run_for_tenant(query, tenant_id)
        assert mine.rows, f"{name} returned no rows for {slug}: the comparison would prove nothing"
        assert {row[0] for row in mine.rows} == {tenant_id}, "RLS let another tenant's rows through"
        assert mine.columns == everything.columns
        assert mine.rows == everything.for_tenant(tenant_id).rows
        assert run_as_replication(replication_conn, query, tenant_id=tenant_id).rows == mine.rows, \
            "the explicit-filter variant (bench_rls reference) differs"
        results[slug] = [row[1:] for row in mine.rows]
    first, second = results.values()
    assert first != second, f"{name}: both tenants got identical numbers; is the query scoped at all?"


@pytest.mark.rls
def test_outside_a_tenant_context_every_query_returns_nothing(world_db) -> None:
    """Fail closed: the app role without a tenant sees no rows, it does not see everything."""
    some_tenant = str(next(iter(world_db.tenants.values())))
    for query in load_queries().values():
        with connection.cursor() as cursor:
            cursor.execute(query.sql("postgres"))
            assert cursor.fetchall() == [], query.name
            # The explicit predicate is no key: naming a tenant without its context shows nothing either.
            cursor.execute(query.sql("postgres", TENANT), {"tenant": some_tenant})
            assert cursor.fetchall() == [], query.name
