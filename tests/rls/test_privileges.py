"""What the app role must not be able to do at all."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError, connection, transaction

from rls.constraints import tenant_scoped_models
from rls.sql import qn

pytestmark = [pytest.mark.rls, pytest.mark.django_db]

TABLES = [m._meta.db_table for m in tenant_scoped_models()]


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(info.value)


@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused(table: str) -> None:
    assert "permission denied" in _refused(f"TRUNCATE {qn(table)} CASCADE")


@pytest.mark.parametrize("table", TABLES)
def test_disabling_or_unforcing_rls_is_refused(table: str) -> None:
    assert "must be owner" in _refused(f"ALTER TABLE {qn(table)} DISABLE ROW LEVEL SECURITY")
    assert "must be owner" in _refused(f"ALTER TABLE {qn(table)} NO FORCE ROW LEVEL SECURITY")
    assert "must be owner" in _refused(f"DROP POLICY {qn(table + '_tenant_isolation')} ON {qn(table)}")


def test_ddl_is_refused() -> None:
    assert "permission denied" in _refused("CREATE TABLE public.sneaky (id int)")
    assert "must be owner" in _refused("ALTER TABLE models_app_customer ADD COLUMN x int")
    assert "must be owner" in _refused("DROP TABLE models_app_event")


def test_policy_creation_and_role_escalation_are_refused() -> None:
    assert "must be owner" in _refused("CREATE POLICY open ON models_app_customer USING (true)")
    assert "permission denied" in _refused("SET ROLE lakehouse_owner")
    assert re.search("permission denied|must be superuser", _refused("ALTER ROLE CURRENT_USER BYPASSRLS"))


def test_copy_from_into_a_tenant_table_is_refused() -> None:
    # PostgreSQL refuses COPY FROM for roles subject to RLS, so bulk loads cannot skip policies.
    import io

    import psycopg2

    with pytest.raises(psycopg2.Error, match="row-level security"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.cursor.copy_expert("COPY models_app_customer (email) FROM STDIN", io.StringIO("x@y.z\n"))
