"""The query file's contract: twenty metrics, each runnable unchanged as a tenant and across tenants."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection

from analytics.queries import QueryFileError, chart_queries, load_queries, metric_queries, parse_queries
from analytics.runner import run_as_replication, run_for_tenant

#: Seed plan §9, in its order: the names are part of the interface (docs, --metric, JSON keys).
SECTION_9 = [
    "revenue_by_tenant_over_time", "average_order_value", "revenue_growth", "category_performance",
    "customer_acquisition", "customer_lifetime_value", "customer_retention_cohorts", "customer_churn",
    "best_selling_products", "inventory_turnover", "product_profitability", "category_trends",
    "conversion_funnel", "session_duration_trends", "cart_abandonment", "engagement_score",
    "mrr", "subscription_churn", "plan_distribution", "payment_success_rate",
]
TABLE_REF = re.compile(r"\b(?:FROM|JOIN)\s+(models_app_\w+|tenancy_tenant)\s+AS\s+(\w+)", re.IGNORECASE)


def test_the_twenty_metrics_of_section_9_are_there_in_order() -> None:
    assert list(metric_queries()) == SECTION_9
    assert set(chart_queries()).isdisjoint(SECTION_9)


@pytest.mark.parametrize("name", list(load_queries()))
def test_every_table_scan_carries_a_tenant_marker_and_no_query_filters_by_tenant(name: str) -> None:
    query = load_queries()[name]
    scanned = Counter(alias for _table, alias in TABLE_REF.findall(query.sql))
    assert scanned, f"{name} reads no table"
    assert Counter(query.tenant_aliases) == scanned, "one /*@tenant alias*/ marker per base-table scan"
    # Tenant scoping is RLS's job (app role) or the caller's (replication role), never the query's.
    assert not re.search(r"tenant_id\s*=\s*'", query.sql)
    assert "current_setting" not in query.sql
    assert re.match(r"\s*(WITH\b.*?\)\s*)?SELECT\s+\w+\.?tenant_id\b|\s*WITH\b", query.sql, re.S)


def test_parser_rejects_broken_blocks() -> None:
    with pytest.raises(QueryFileError, match="duplicate"):
        parse_queries("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")
    with pytest.raises(QueryFileError, match="percent"):
        parse_queries("-- name: a\nSELECT 'x' LIKE 'y%'\n")
    with pytest.raises(QueryFileError, match="no SQL"):
        parse_queries("-- name: a\n-- title: A\n\n-- name: b\nSELECT 1\n")
    with pytest.raises(QueryFileError, match="kind"):
        parse_queries("-- name: a\n-- kind: gauge\nSELECT 1\n")


def test_filtered_variant_only_adds_tenant_conditions() -> None:
    query = load_queries()["category_performance"]
    filtered = query.filtered_sql()
    assert filtered.count("%(tenant)s") == 3
    for alias in ("oi", "o", "p"):
        assert f"AND {alias}.tenant_id = %(tenant)s" in filtered
    assert re.sub(r"AND \w+\.tenant_id = %\(tenant\)s", "", filtered) == re.sub(r"/\*@tenant \w+\*/", "", query.sql)


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
    for query in load_queries().values():
        with connection.cursor() as cursor:
            cursor.execute(query.sql)
            assert cursor.fetchall() == [], query.name
