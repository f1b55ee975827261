"""Attacks that leave something in a pooled connection for the next request to run or reveal.

* **Planting code**: in tenant A's request, ``CREATE TEMP VIEW models_app_customer AS ...``
  with a TEMP spy function; ``pg_temp`` is searched first for relation names and Django uses
  unqualified names, so the next request on that connection (tenant B) read through the
  view. Now the app role has no TEMPORARY.
* **Session residue**: WITH HOLD cursors, prepared statements, LISTEN and session settings
  survive COMMIT. Now a top-level ``tenant_context`` resets the session first.
"""

from __future__ import annotations

import psycopg2
import pytest
from django.db import connections

from project.database import connect
from rls.sql import qn
from tenancy import tenant_context
from tenancy.context import begin_signed
from tests.attacks.conftest import broken, rows

pytestmark = pytest.mark.rls

PLANT = [
    "CREATE FUNCTION pg_temp.spy(t uuid, e text) RETURNS boolean LANGUAGE sql AS "
    "$$ SELECT true $$",
    "CREATE TEMP VIEW models_app_customer AS SELECT c.* FROM public.models_app_customer c "
    "WHERE pg_temp.spy(c.tenant_id, c.email)",
    "CREATE TEMP TABLE seen AS SELECT 1 AS n",
]


def test_app_role_cannot_create_temporary_objects(victims, app_conn) -> None:
    """The plant itself fails: no TEMPORARY privilege on the database (not even through PUBLIC)."""
    with app_conn.cursor() as cursor:
        begin_signed(cursor, victims.a)
    attempts = [PLANT[0], "CREATE TEMP VIEW models_app_customer AS SELECT * FROM public.models_app_customer",
                PLANT[2]]
    for statement in attempts:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            rows(app_conn, statement)
        app_conn.rollback()
        with app_conn.cursor() as cursor:
            begin_signed(cursor, victims.a)
    assert rows(app_conn, "SELECT has_database_privilege(current_user, current_database(), 'TEMP')") == [(False,)]


def test_control_with_temporary_the_next_request_reads_through_the_plant(db_access) -> None:
    """Negative control: grant TEMPORARY back; tenant B's next query on the connection runs the
    attacker's view (it reads ``models_app_customer`` unqualified, as Django does)."""
    with broken("temp", [], as_admin=["GRANT TEMPORARY ON DATABASE {db} TO {app}"]) as (_name, found):
        connection = connections["default"]
        with tenant_context(found.a), connection.cursor() as cursor:
            for statement in PLANT:
                cursor.execute(statement)
        # The next request on the same connection, for tenant B. Without the reset the plant
        # would stay; the control removes the TEMPORARY defence only, so enter without reset.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            begin_signed(cursor, found.b, reset=False)
            cursor.execute("SELECT email FROM models_app_customer")
            emails = {row[0] for row in cursor.fetchall()}
            cursor.execute("SELECT count(*) FROM pg_views WHERE viewname = 'models_app_customer' "
                           "AND schemaname LIKE 'pg_temp%%'")
            planted = cursor.fetchone()[0]
            cursor.execute("ROLLBACK")
        assert emails == found.b_emails and planted == 1  # B's rows flowed through A's view


def test_context_entry_discards_what_a_session_left_behind(victims, db_access) -> None:
    """WITH HOLD cursors, prepared statements, LISTEN and session settings of the previous user
    of a connection are gone when the next top-level context starts (as the loader, the one
    role with TEMPORARY, temp tables too)."""
    for alias in ("default", "loader"):
        connection = connections[alias]
        with tenant_context(victims.a, using=alias), connection.cursor() as cursor:
            leave_residue(cursor, temp=alias == "loader")
        with tenant_context(victims.b, using=alias), connection.cursor() as cursor:
            cursors, prepared, _listening, setting, temps = residue(cursor)
            assert (cursors, prepared, setting, temps) == (0, 0, "", 0), alias
        # UNLISTEN is transactional: it takes effect when B's context commits.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_listening_channels()")
            assert cursor.fetchone()[0] == 0, alias


def test_control_without_the_reset_the_residue_reaches_the_next_tenant(victims, db_access) -> None:
    """Negative control: entering B's context without the reset keeps everything A left."""
    connection = connections["loader"]
    with tenant_context(victims.a, using="loader"), connection.cursor() as cursor:
        leave_residue(cursor, temp=True)
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        begin_signed(cursor, victims.b, reset=False)
        found = residue(cursor)
        cursor.execute("ROLLBACK")
    connection.close()
    assert found == (1, 1, 1, "{marker}", 1)


def leave_residue(cursor, *, temp: bool) -> None:
    cursor.execute("DECLARE loot CURSOR WITH HOLD FOR SELECT email FROM models_app_customer")
    cursor.execute("PREPARE stolen AS SELECT email FROM models_app_customer")
    cursor.execute("LISTEN tenant_a_channel")
    cursor.execute("SET pgtrigger.ignore = '{marker}'")
    if temp:
        cursor.execute(f"CREATE TEMP TABLE {qn('left_behind')} AS SELECT 1 AS n")


def residue(cursor) -> tuple[int, int, int, str, int]:
    cursor.execute("SELECT (SELECT count(*) FROM pg_cursors WHERE name = 'loot'), "
                   "(SELECT count(*) FROM pg_prepared_statements WHERE name = 'stolen'), "
                   "(SELECT count(*) FROM pg_listening_channels() c WHERE c = 'tenant_a_channel'), "
                   "current_setting('pgtrigger.ignore', true), "
                   "(SELECT count(*) FROM pg_class WHERE relname = 'left_behind' "
                   "AND relnamespace = pg_my_temp_schema())")
    count_cursors, prepared, listening, setting, temps = cursor.fetchone()
    return count_cursors, prepared, listening, setting or "", temps


def test_raw_client_reset_matches(victims) -> None:
    """The same reset for raw DB-API clients (begin_signed), e.g. behind PgBouncer."""
    conn = connect("app")
    try:
        with conn.cursor() as cursor:
            begin_signed(cursor, victims.a)
            cursor.execute("DECLARE loot CURSOR WITH HOLD FOR SELECT email FROM models_app_customer")
        conn.commit()
        with conn.cursor() as cursor:
            begin_signed(cursor, victims.b)
            cursor.execute("SELECT count(*) FROM pg_cursors WHERE name = 'loot'")
            assert cursor.fetchone()[0] == 0
        conn.rollback()
    finally:
        conn.close()
