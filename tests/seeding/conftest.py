"""Fixtures for the seeding tests: committed worlds, cleaned up as the app role afterwards.

Seeding commits (one transaction per tenant), so these tests run without the test
transaction. Every tenant left behind is purged with :func:`tests.support.purge_tenants`
(DELETE as the app role under each tenant's context).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from seeding.engine import existing_tenants
from tests.support import purge_tenants

#: A fixed window keeps the realism assertions reproducible whatever day the suite runs.
START = dt.date(2025, 1, 6)
WORLD = {"scale": "small", "seed": 1, "start_date": START.isoformat(), "days": 180, "tenants": 3}
TINY = {"scale": "small", "seed": 7, "start_date": START.isoformat(), "days": 30, "tenants": 1}
TABLES = ("tenancy_tenant", "models_app_customer", "models_app_product", "models_app_subscription",
          "models_app_order", "models_app_orderitem", "models_app_event", "models_app_invoice")


def purge_all() -> None:
    connections["default"].close()
    purge_tenants([t.id for t in existing_tenants()])
    connections["default"].close()


def seed_all(**options: Any) -> None:
    call_command("seed_all", verbosity=0, **{"workers": 1, **options})


@pytest.fixture
def seeding_db(django_db_setup: str, django_db_blocker) -> Iterator[str]:
    """Committed database access; every tenant is purged afterwards."""
    with django_db_blocker.unblock():
        purge_all()
        try:
            yield django_db_setup
        finally:
            purge_all()


def digest(conn, tenant_id: str | None = None) -> dict[str, str]:
    """md5 of every row of every table (per tenant or all), read through the replication role."""
    out = {}
    with conn.cursor() as cursor:
        for table in TABLES:
            column = "id" if table == "tenancy_tenant" else "tenant_id"
            where = f"WHERE {column} = %s" if tenant_id else ""
            cursor.execute(f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x.id), '')) "
                           f"FROM {table} x {where}", [tenant_id] if tenant_id else None)
            n, md5 = cursor.fetchone()
            out[table] = f"{n}:{md5}"
    return out


def rows_of(conn, tenant_id: str) -> dict[str, int]:
    with conn.cursor() as cursor:
        counts = {}
        for table in TABLES:
            column = "id" if table == "tenancy_tenant" else "tenant_id"
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", [tenant_id])
            counts[table] = cursor.fetchone()[0]
    return counts


def payload_digest(batches) -> str:
    h = hashlib.sha256()
    for b in batches:
        h.update(b.table.encode())
        h.update(b.payload)
    return h.hexdigest()
