"""Attacks with the DMS replication credential (LOGIN REPLICATION BYPASSRLS).

* **Copying the cluster** with ``pg_basebackup -U dms_replication``: pg_hba has no
  ``replication`` line any more, so physical replication connections are refused.
  Residual (PostgreSQL): a REPLICATION role may still run BASE_BACKUP and create physical
  slots over a *logical* replication connection, which matches the ordinary database lines
  DMS needs; asserted below so that the day PostgreSQL closes it, this test says so.
* **Stealing sessions and password hashes**: the role reads the replicated (tenant) tables
  only, not ``auth_*`` or ``django_*``.
* **Planting code in schema dms** (CREATE FUNCTION) and **creating physical slots** through
  SQL: refused by an event trigger and by revoked EXECUTE.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg2
import psycopg2.extras
import pytest

from project.database import connect, local_server, role_url, uses_local_server
from tests.attacks.conftest import broken, rows
from tests.support import execute_as

pytestmark = pytest.mark.rls

local_only = pytest.mark.skipif(not uses_local_server(), reason="needs the local server's pg_hba.conf and binaries")


def physical_connection(dbname: str):
    return psycopg2.connect(role_url("replication", dbname),
                            connection_factory=psycopg2.extras.PhysicalReplicationConnection)


@local_only
def test_pg_basebackup_with_the_dms_credential_is_refused(django_db_setup, tmp_path: Path) -> None:
    """Attack: pg_basebackup -U dms_replication (a copy of every database and pg_authid)."""
    server = local_server()
    result = subprocess.run([str(server.bin_dir / "pg_basebackup"), "-d", role_url("replication", django_db_setup),
                             "-D", str(tmp_path / "copy"), "-X", "none", "--no-sync"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "pg_hba.conf" in result.stderr and "replication" in result.stderr
    with pytest.raises(psycopg2.OperationalError, match="replication connection"):
        physical_connection(django_db_setup)


@local_only
def test_control_with_a_replication_line_the_dms_credential_streams_the_cluster(django_db_setup) -> None:
    """Negative control: the line the project used to write lets the credential in."""
    server = local_server()
    hba = server.data_dir / "pg_hba.conf"
    original = hba.read_text()
    user = connect("replication", dbname=django_db_setup).info.user
    try:
        hba.write_text(original + f"host    replication  {user}  127.0.0.1/32  scram-sha-256\n")
        execute_as("admin", django_db_setup, "SELECT pg_reload_conf()")
        conn = physical_connection(django_db_setup)
        try:
            with conn.cursor() as cursor:
                cursor.execute("IDENTIFY_SYSTEM")
                assert cursor.fetchone()[0]  # the system identifier: a physical stream is open to us
        finally:
            conn.close()
    finally:
        hba.write_text(original)
        execute_as("admin", django_db_setup, "SELECT pg_reload_conf()")


def test_known_residual_base_backup_over_a_logical_connection(django_db_setup) -> None:
    """PostgreSQL lets any REPLICATION role run BASE_BACKUP and create physical slots on a
    database (logical) walsender connection; pg_hba cannot tell it from DMS's own
    connection. Documented in docs/SECURITY.md (attacker model 5) as a residual."""
    conn = psycopg2.connect(role_url("replication", django_db_setup),
                            connection_factory=psycopg2.extras.LogicalReplicationConnection)
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE_REPLICATION_SLOT atk_physical TEMPORARY PHYSICAL")
            assert cursor.fetchone()[0] == "atk_physical"
            # The server answers BASE_BACKUP with a COPY stream of the data directory (psycopg2
            # refuses to read it through execute(), which is the evidence it began).
            with pytest.raises(psycopg2.ProgrammingError, match="COPY"):
                cursor.execute("BASE_BACKUP (CHECKPOINT 'fast', MANIFEST 'no')")
    finally:
        conn.close()


DJANGO_SECRETS = ["SELECT session_key, session_data FROM django_session",
                  "SELECT username, password FROM auth_user",
                  "SELECT * FROM django_admin_log",
                  "SELECT * FROM lakehouse_private.context_keys"]


@pytest.mark.parametrize("statement", DJANGO_SECRETS)
def test_dms_credential_reads_no_django_table(replication_conn, statement) -> None:
    """Attack: steal a staff session or password hashes with the read-only DMS credential."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        rows(replication_conn, statement)


def test_dms_credential_still_reads_every_tenant_table(victims, replication_conn) -> None:
    """Not an attack: DMS still reads every tenant (what the narrowing must keep)."""
    found = {row[0] for row in rows(replication_conn, "SELECT DISTINCT tenant_id FROM models_app_customer")}
    assert {victims.a, victims.b} <= found


def test_control_with_select_granted_sessions_and_hashes_leak(db_access) -> None:
    with broken("django_read", ["GRANT SELECT ON auth_user, django_session TO {replication}"]) as (name, _found):
        conn = connect("replication", dbname=name)
        try:
            assert rows(conn, "SELECT count(*) FROM auth_user") == [(0,)]  # readable: hashes would leak
        finally:
            conn.close()


PLANT = "CREATE FUNCTION dms.awsdms_intercept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"


def test_dms_credential_cannot_plant_code_in_schema_dms(replication_conn) -> None:
    """Attack: CREATE FUNCTION (a trigger function, a view, a type) in schema dms."""
    rows(replication_conn, "CREATE TABLE IF NOT EXISTS dms.awsdms_heartbeat_probe (id int PRIMARY KEY)")
    rows(replication_conn, "DROP TABLE dms.awsdms_heartbeat_probe")  # the heartbeat's needs still work
    for statement in (PLANT, "CREATE VIEW dms.v AS SELECT 1", "CREATE TYPE dms.t AS (a int)"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="heartbeat"):
            rows(replication_conn, statement)


def test_control_without_the_ddl_guard_the_function_is_planted(db_access) -> None:
    with broken("ddl_guard", [], as_admin=["DROP EVENT TRIGGER lakehouse_replication_ddl_guard"]) as (name, _f):
        conn = connect("replication", dbname=name)
        conn.autocommit = True
        try:
            rows(conn, PLANT)
            assert rows(conn, "SELECT count(*) FROM pg_proc WHERE proname = 'awsdms_intercept'") == [(1,)]
        finally:
            conn.close()


def test_dms_credential_cannot_create_physical_slots_through_sql(replication_conn) -> None:
    """Attack: pg_create_physical_replication_slot with the DMS credential (WAL of the cluster)."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        rows(replication_conn, "SELECT pg_create_physical_replication_slot('atk_sql_physical', false, true)")


def test_control_with_execute_granted_the_physical_slot_is_created(db_access) -> None:
    grant = ("GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_physical_replication_slot(name, boolean, boolean) "
             "TO {replication}")
    with broken("slots", [], as_admin=[grant]) as (name, _found):
        conn = connect("replication", dbname=name)
        try:
            # temporary = true: the slot disappears with the session.
            assert rows(conn, "SELECT slot_name FROM pg_create_physical_replication_slot("
                              "'atk_sql_physical', false, true)") == [("atk_sql_physical",)]
        finally:
            conn.close()


