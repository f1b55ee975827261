"""The DMS replication role: reads everything, writes nothing; without BYPASSRLS it reads nothing.

The last point is the silent-loss case the issue warns about: a role that can stream a slot
but not bypass RLS would get complete CDC and an *empty* full load. A scratch role (made by
the admin connection, dropped afterwards) demonstrates it, and the system check catches it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest
from django.conf import settings
from django.test import override_settings
from psycopg2 import errors

from cdc.checks import cdc_findings
from cdc.mapping import replicated_tables
from models_app.models import Customer
from project.database import connect, role_url
from tenancy import tenant_context
from tests.factories import CustomerFactory

pytestmark = pytest.mark.rls


def _scalar(conn, sql: str, params: object = None):
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_role_attributes_are_exactly_what_dms_needs(replication_conn) -> None:
    row = _scalar(replication_conn, "SELECT row(rolreplication, rolbypassrls, rolsuper, rolcreaterole, rolcreatedb) "
                  "FROM pg_roles WHERE rolname = current_user")
    assert row == "(t,t,f,f,f)"


def test_sees_every_tenant(committed, replication_conn) -> None:
    tenants = [committed.tenant(), committed.tenant()]
    for tenant in tenants:
        with tenant_context(tenant):
            CustomerFactory.create_batch(2)
    ids = [str(t.id) for t in tenants]
    assert _scalar(replication_conn, "SELECT count(DISTINCT tenant_id) FROM models_app_customer "
                   "WHERE tenant_id = ANY(%s::uuid[])", [ids]) == 2
    assert _scalar(replication_conn, "SELECT count(*) FROM tenancy_tenant WHERE id = ANY(%s::uuid[])", [ids]) == 2


@pytest.mark.parametrize("statement", [
    "INSERT INTO tenancy_tenant (id, name, slug, created_at, updated_at, is_active, settings) "
    "VALUES (gen_random_uuid(), 'x', 'x', now(), now(), true, '{}')",
    "UPDATE models_app_customer SET first_name = 'x'",
    "DELETE FROM models_app_event",
    "TRUNCATE models_app_order CASCADE",
    "CREATE TABLE public.sneaky (id int)",
])
def test_cannot_write(replication_conn, statement: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege), replication_conn.cursor() as cursor:
        cursor.execute(statement)


def test_may_create_only_in_the_dms_schema(replication_conn) -> None:
    """DMS's heartbeat table lives in schema dms, the one place the role may create."""
    name = f"heartbeat_{uuid.uuid4().hex[:8]}"
    with replication_conn.cursor() as cursor:
        cursor.execute(f"CREATE TABLE dms.{name} (id int)")
        cursor.execute(f"DROP TABLE dms.{name}")


@pytest.fixture
def role_without_bypassrls(django_db_setup: str) -> Iterator[tuple[str, str]]:
    name = f"scratch_repl_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    admin = connect("admin", dbname=django_db_setup)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN REPLICATION NOBYPASSRLS PASSWORD %s', [password])
        cursor.execute(f'GRANT CONNECT ON DATABASE "{django_db_setup}" TO "{name}"')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
        cursor.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{name}"')
    try:
        yield name, password
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')
        admin.close()


def test_without_bypassrls_the_full_load_is_empty(committed, role_without_bypassrls, django_db_setup) -> None:
    tenant = committed.tenant()
    with tenant_context(tenant):
        CustomerFactory.create_batch(3)
        assert Customer.objects.count() == 3
    name, password = role_without_bypassrls
    url = urlsplit(role_url("app", django_db_setup))
    conn = psycopg2.connect(host=url.hostname, port=url.port, dbname=django_db_setup, user=name, password=password)
    try:
        # What a DMS full load does: SELECT every row. RLS returns nothing, no error at all.
        assert _scalar(conn, "SELECT count(*) FROM models_app_customer") == 0
        assert _scalar(conn, "SELECT count(*) FROM tenancy_tenant") == 0
    finally:
        conn.close()


@pytest.mark.django_db
def test_system_check_is_clean_for_the_real_role() -> None:
    assert [m.id for m in cdc_findings()] == []


@pytest.mark.django_db
def test_system_check_flags_a_role_without_bypassrls(role_without_bypassrls) -> None:
    name, _password = role_without_bypassrls
    with override_settings(LAKEHOUSE_ROLES={**settings.LAKEHOUSE_ROLES, "replication": name}):
        ids = {m.id for m in cdc_findings()}
    assert "cdc.E003" in ids
    assert "cdc.E002" not in ids  # it has REPLICATION


@pytest.mark.django_db
def test_system_check_flags_a_role_without_select(role_without_bypassrls, django_db_setup) -> None:
    name, _password = role_without_bypassrls
    table = replicated_tables()[0].table
    admin = connect("admin", dbname=django_db_setup)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'REVOKE SELECT ON "{table}" FROM "{name}"')
    admin.close()
    with override_settings(LAKEHOUSE_ROLES={**settings.LAKEHOUSE_ROLES, "replication": name}):
        messages = {m.id: m.msg for m in cdc_findings()}
    assert table in messages["cdc.E004"]
