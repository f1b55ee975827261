"""``manage.py metrics``: JSON for every tenant, readable tables, clear errors on bad names."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics.definitions import metric_queries


def run(*args: str) -> str:
    out = StringIO()
    call_command("metrics", *args, stdout=out)
    return out.getvalue()


def test_json_holds_all_twenty_metrics_for_every_tenant(world_db) -> None:
    document = json.loads(run("--json"))
    assert document["role"] == "app"
    assert list(document["metrics"]) == list(metric_queries())
    slugs = {t["slug"] for t in document["tenants"]}
    assert set(world_db.tenants) <= slugs
    for name, metric in document["metrics"].items():
        assert set(metric["by_tenant"]) == slugs, name
        for slug in world_db.tenants:
            rows = metric["by_tenant"][slug]
            assert rows, f"{name} empty for {slug}"
            assert set(rows[0]) == set(metric["columns"]), name
            assert "tenant_id" not in rows[0]


def test_replication_role_view_matches_the_per_tenant_view(world_db) -> None:
    slugs = [arg for slug in world_db.tenants for arg in ("--tenant", slug)]
    as_app = json.loads(run("--json", *slugs))
    as_replication = json.loads(run("--json", "--role", "replication", *slugs))
    assert as_app["metrics"] == as_replication["metrics"]


def test_tables_are_readable(world_db) -> None:
    slug = next(iter(world_db.tenants))
    text = run("--tenant", slug, "--metric", "mrr", "--metric", "conversion_funnel")
    assert "MRR (monthly recurring revenue)  [mrr]" in text
    assert "Conversion funnel  [conversion_funnel]" in text
    header = next(line for line in text.splitlines() if line.startswith("tenant"))
    assert header.split()[:4] == ["tenant", "active_subscriptions", "mrr", "arr"]
    assert text.count(slug) >= 1 + 5  # one MRR row, five funnel steps
    assert "Average order value" not in text


def test_list_names_every_metric() -> None:
    listed = [line.split()[0] for line in run("--list").splitlines()]
    assert listed == list(metric_queries())


def test_list_json_is_json() -> None:
    listed = json.loads(run("--list", "--json"))
    assert [m["name"] for m in listed] == list(metric_queries())
    assert all(m["title"] and m["group"] and m["description"] for m in listed)


def test_unknown_metric_lists_the_available_ones(world_db) -> None:
    with pytest.raises(CommandError, match=r"unknown metric 'revenue'.*average_order_value.*payment_success_rate"):
        run("--metric", "revenue")


def test_unknown_tenant_lists_the_tenants(world_db) -> None:
    slug = next(iter(world_db.tenants))
    with pytest.raises(CommandError, match=rf"unknown tenant 'nope'; tenants: .*{slug}"):
        run("--tenant", "nope")


class _NoTenants:
    """A stand-in connection whose tenant list is empty (the real test database always has some)."""

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, params=None):
        assert "FROM tenancy_tenant" in sql

    def fetchall(self):
        return []


def test_an_empty_database_says_to_seed_first() -> None:
    from analytics.collect import SelectionError, select_tenants

    with pytest.raises(SelectionError, match="no tenants.*seed_all"):
        select_tenants(_NoTenants(), None)
