"""The DMS replication role: sees every tenant, writes nothing."""

from __future__ import annotations

import psycopg2
import pytest

from models_app.models import Customer
from rls.constraints import tenant_scoped_models
from rls.sql import qn
from tenancy import tenant_context
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.rls]


def test_replication_role_sees_all_tenants(committed, replication_conn) -> None:
    tenants = [committed.tenant() for _ in range(3)]
    for tenant in tenants:
        with tenant_context(tenant):
            CustomerFactory.create_batch(2)
    ids = [t.id for t in tenants]
    with replication_conn.cursor() as cursor:
        cursor.execute("SELECT tenant_id, count(*) FROM models_app_customer WHERE tenant_id = ANY(%s::uuid[]) "
                       "GROUP BY 1", [[str(i) for i in ids]])
        assert {row[0]: row[1] for row in cursor.fetchall()} == {i: 2 for i in ids}
        cursor.execute("SELECT count(*) FROM tenancy_tenant WHERE id = ANY(%s::uuid[])", [[str(i) for i in ids]])
        assert cursor.fetchone()[0] == 3


@pytest.mark.parametrize("table", [m._meta.db_table for m in tenant_scoped_models()])
def test_replication_role_cannot_write(committed, replication_conn, table: str) -> None:
    with replication_conn.cursor() as cursor:
        for statement in (f"DELETE FROM {qn(table)}", f"UPDATE {qn(table)} SET id = id",
                          f"INSERT INTO {qn(table)} DEFAULT VALUES", f"TRUNCATE {qn(table)}"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(statement)


def test_replication_role_attributes(replication_conn) -> None:
    with replication_conn.cursor() as cursor:
        cursor.execute("SELECT rolreplication, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True, True, False)


def test_app_sees_own_rows_after_commit(committed) -> None:
    tenant = committed.tenant()
    with tenant_context(tenant):
        CustomerFactory()
    with tenant_context(tenant):
        assert Customer.objects.count() == 1
