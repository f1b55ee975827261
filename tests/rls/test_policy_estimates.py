"""The planner sizes a query under RLS by the current tenant's own statistics.

The policy condition is a plain STABLE expression (see ``rls.sql.CURRENT_TENANT_SQL``), which
the planner folds while estimating. Wrapped in a sub-select, the tenant would be unknown at
plan time and every tenant would be estimated as an average one (rows / distinct tenants):
plans sized for the wrong tenant, the RLS read tax ``bench_rls`` measures. This test reads
plan estimates, not timings, so it is exact and cannot flake.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from models_app.models import Customer
from project.database import connect
from rls.sql import CURRENT_TENANT_SQL, qn
from tenancy import tenant_context

pytestmark = [pytest.mark.rls]

BIG, SMALL = 300, 10


def _estimated_rows(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _analyze(table: str) -> None:
    """What autovacuum does sooner or later (the app role may not ANALYZE)."""
    conn = connect("owner")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"ANALYZE {qn(table)}")
    conn.close()


def test_policy_condition_is_not_hidden_behind_a_sub_select() -> None:
    assert "SELECT" not in CURRENT_TENANT_SQL.upper()


def test_a_large_tenant_is_estimated_by_its_own_share(committed) -> None:
    big, small = committed.tenant(), committed.tenant()
    for tenant, count in ((big, BIG), (small, SMALL)):
        with tenant_context(tenant):
            Customer.objects.bulk_create(
                [Customer(email=f"c{i}@{tenant.slug}.example", first_name="A", last_name="B") for i in range(count)])
    _analyze(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Customer._meta.db_table])
        total = cursor.fetchone()[0]
    with tenant_context(big):
        estimate = _estimated_rows(f"SELECT * FROM {qn(Customer._meta.db_table)}")
    # An average tenant would be at most total / 2 (there are at least these two tenants).
    assert total >= BIG + SMALL
    assert 0.8 * BIG <= estimate <= 1.25 * BIG, (estimate, total)
