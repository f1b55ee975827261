"""Helpers shared by the test suites (no fixtures here; see conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import pgtrigger
from django.db import connections

from models_app.models import DOMAIN_MODELS, Event
from project.database import connect, point_all_aliases_at
from rls.sql import qn
from tenancy import tenant_context
from tenancy.models import Tenant


def purge_tenants(tenant_ids: Iterable[uuid.UUID]) -> None:
    """Delete every row of these tenants as the loader role, children first.

    Tests never TRUNCATE and never use the owner to clean up. Events are append-only by
    privilege for the app role; the loader (cleanup_data's role) may delete them, under
    ``pgtrigger.ignore`` of their guard trigger.
    """
    for tenant_id in tenant_ids:
        with tenant_context(tenant_id, using="loader"), \
                pgtrigger.ignore("models_app.Event:append_only", databases=["loader"]), \
                connections["loader"].cursor() as cursor:
            for model in (*reversed(DOMAIN_MODELS), Tenant):
                cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")


def execute_as(role: str, dbname: str, *statements: str) -> None:
    """Run statements in autocommit as ``role`` (``admin`` or ``owner``) on ``dbname``.

    For breaking scratch databases on purpose (negative controls, audit variants) only.
    """
    conn = connect(role, dbname=dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def as_role_rows(conn, sql: str, params: object = None) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


__all__ = ["Event", "as_role_rows", "execute_as", "point_all_aliases_at", "purge_tenants"]
