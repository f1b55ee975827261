"""Property 6: the replication role sees exactly the union of all tenants and writes nothing."""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from django.conf import settings as django_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from rls.sql import qn
from tests.isolation.controls import writes_control
from tests.isolation.model import IsolationViolation, WorldModel, tables, tenant_column
from tests.isolation.profiles import scaled
from tests.isolation.reads import FILTER_FIELDS
from tests.isolation.scratch import replication_may_write
from tests.isolation.writes import digest_others

pytestmark = pytest.mark.isolation

NOBODY = uuid.UUID(int=0)


def check_replication_read(data: st.DataObject, conn, world: WorldModel) -> None:
    table = data.draw(st.sampled_from(tables()), label="table")
    field = data.draw(st.sampled_from(FILTER_FIELDS[table]), label="field")
    values = world.values_of(table, field)
    value = data.draw(st.sampled_from(values), label="value") if values else None
    column = tenant_column(table)
    sql = f"SELECT id FROM {qn(table)} WHERE {qn(column)} = ANY(%s::uuid[])"
    params: list[object] = [[str(t) for t in world.tenants]]
    want = world.union(table)
    if value is not None:
        sql += f" AND {qn(field)} IS NOT DISTINCT FROM %s"
        params.append(value)
        want = {r.id for r in world.rows[table].values() if (r.id if field == "id" else r.fields[field]) == value}
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        got = {uuid.UUID(str(r[0])) for r in cursor.fetchall()}
    if got != want:
        raise IsolationViolation(f"replication role: {len(got)} rows of {table} where {field}={value!r}, "
                                 f"the union of all tenants has {len(want)}")


def attempt_replication_write(data: st.DataObject, conn, world: WorldModel) -> None:
    """Draw a write; the role must be refused with insufficient_privilege (42501)."""
    table = data.draw(st.sampled_from([t for t in tables() if t != "tenancy_tenant"]), label="table")
    victim = str(data.draw(st.sampled_from(world.tenants), label="tenant"))
    statement = data.draw(st.sampled_from((
        f"UPDATE {qn(table)} SET updated_at = now() WHERE tenant_id = %s",
        f"DELETE FROM {qn(table)} WHERE tenant_id = %s",
        f"INSERT INTO {qn(table)} SELECT * FROM {qn(table)} WHERE tenant_id = %s LIMIT 0",
        f"INSERT INTO {qn(table)} (id, tenant_id) VALUES (gen_random_uuid(), %s)",
        f"TRUNCATE {qn(table)} /* %s */",
        f"ALTER TABLE {qn(table)} DISABLE ROW LEVEL SECURITY /* %s */",
        f"CREATE INDEX ON {qn(table)} (tenant_id) /* %s */",
        "UPDATE tenancy_tenant SET name = name WHERE id = %s",
    )), label="statement")
    before = digest_others(conn, NOBODY)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement, [victim])
    except psycopg2.Error as exc:
        if exc.pgcode == "42501":
            return
        if exc.pgcode in {"23502", "23505", "23503", "23514"}:
            # A constraint stopped it *after* the privilege check let it through.
            raise IsolationViolation(f"replication role was allowed to try {statement!r}: {exc.pgerror}") from exc
        raise
    finally:
        if digest_others(conn, NOBODY) != before:
            raise IsolationViolation(f"replication role changed data with {statement!r}")
    raise IsolationViolation(f"replication role ran {statement!r} without an error")


def test_replication_role_sees_every_row_of_every_tenant(committed_world, replication) -> None:
    with replication.cursor() as cursor:
        for table in tables():
            cursor.execute(f"SELECT id FROM {qn(table)} WHERE {qn(tenant_column(table))} = ANY(%s::uuid[])",
                           [[str(t) for t in committed_world.tenants]])
            assert {uuid.UUID(str(r[0])) for r in cursor.fetchall()} == committed_world.union(table), table


@settings(max_examples=scaled(300))
@given(data=st.data())
def test_replication_role_reads_match_the_union(committed_world, replication, data) -> None:
    check_replication_read(data, replication, committed_world)


@settings(max_examples=scaled(200))
@given(data=st.data())
def test_replication_role_writes_are_refused(committed_world, replication, data) -> None:
    attempt_replication_write(data, replication, committed_world)


def test_control_replication_property_fails_when_the_role_may_write() -> None:
    role = django_settings.LAKEHOUSE_ROLES["replication"]
    writes_control("replication", replication_may_write("models_app_customer", role), 3, attempt_replication_write)
