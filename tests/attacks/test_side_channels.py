"""Attacks on what PostgreSQL shares between sessions of the same role.

* **Reading other sessions' SQL**: every worker logs in as the app role, so
  ``pg_stat_activity.query`` showed the other workers' statements, parameters interpolated
  (tenant ids, e-mails). Now the admin sets ``track_activities = off`` on the app role (a
  superuser-only setting the role cannot turn back on): its backends publish no query text.
* **Shared stores outside RLS**: large objects, ``pg_notify`` and advisory locks are
  revoked from PUBLIC in the database.

Residual channels (EXPLAIN estimates, table sizes, global keys) are asserted in
tests/isolation/test_side_channels.py and listed in docs/SECURITY.md.
"""

from __future__ import annotations

import threading
import uuid

import psycopg2
import pytest

from project.database import connect, role_credentials
from rls.sql import qn
from tests.attacks.conftest import broken, rows
from tests.support import execute_as

pytestmark = pytest.mark.rls


def query_seen_by_a_peer(victim_conn, spy_conn) -> str:
    """The victim runs a statement carrying a secret; a peer of the same role reads pg_stat_activity."""
    marker = f"secret-{uuid.uuid4().hex}@victim.test"
    victim_pid = rows(victim_conn, "SELECT pg_backend_pid()")[0][0]
    victim_conn.commit()
    done = threading.Event()

    def run() -> None:
        with victim_conn.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1.5), %s", [marker])
        victim_conn.rollback()
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        seen = ""
        for _ in range(50):
            found = rows(spy_conn, "SELECT coalesce(query, '') FROM pg_stat_activity WHERE pid = %s", [victim_pid])
            spy_conn.rollback()
            seen = found[0][0] if found else ""
            if "pg_sleep" in seen or done.wait(0.02):
                break
        return seen.replace(marker, "<MARKER>") if marker in seen else seen
    finally:
        thread.join()


def test_peers_of_the_app_role_see_no_query_text(django_db_setup) -> None:
    """Attack: read another worker's SQL (parameters interpolated) in pg_stat_activity."""
    victim, spy = connect("app"), connect("app")
    try:
        seen = query_seen_by_a_peer(victim, spy)
        assert "<MARKER>" not in seen and "pg_sleep" not in seen
        # The role cannot switch it back on, for its session or as its default.
        for statement in ("SET track_activities = on", "ALTER ROLE CURRENT_USER SET track_activities = on",
                          "ALTER ROLE CURRENT_USER RESET track_activities"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                rows(spy, statement)
            spy.rollback()
    finally:
        victim.close()
        spy.close()


def test_control_a_role_without_the_default_shows_its_peers_the_secret(django_db_setup) -> None:
    """Negative control: a scratch login role like the app but without track_activities = off."""
    name = f"atk_clone_{uuid.uuid4().hex[:8]}"
    password = role_credentials()["app"].password
    execute_as("admin", "postgres", f"CREATE ROLE {qn(name)} LOGIN PASSWORD '{password}'")
    try:
        from project.database import server_address

        address = server_address()
        dbname = str(django_db_setup)
        execute_as("admin", dbname, f"GRANT CONNECT ON DATABASE {qn(dbname)} TO {qn(name)}")
        open_clone = lambda: psycopg2.connect(host=address.host, port=address.port, user=name,  # noqa: E731
                                              password=password, dbname=dbname)
        victim, spy = open_clone(), open_clone()
        try:
            assert "<MARKER>" in query_seen_by_a_peer(victim, spy)
        finally:
            victim.close()
            spy.close()
    finally:
        execute_as("admin", str(django_db_setup), f"REVOKE ALL ON DATABASE {qn(str(django_db_setup))} FROM {qn(name)}")
        execute_as("admin", "postgres", f"DROP ROLE {qn(name)}")


SHARED_STORES = [
    ("large object", "SELECT lo_from_bytea(0, convert_to(%s, 'UTF8'))"),
    ("notify", "SELECT pg_notify('tenant_channel', %s)"),
    ("advisory lock", "SELECT pg_advisory_lock(hashtext(%s))"),
    ("advisory xact lock", "SELECT pg_try_advisory_xact_lock(hashtext(%s))"),
]


@pytest.mark.parametrize(("store", "statement"), SHARED_STORES, ids=[s[0] for s in SHARED_STORES])
def test_shared_stores_outside_rls_are_not_executable(victims, app_conn, store, statement) -> None:
    """Attack: pass a tenant's data to another session through a large object, NOTIFY or a lock."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        rows(app_conn, statement, ["a@victim.test"])
    app_conn.rollback()


def test_control_with_execute_granted_a_large_object_crosses_sessions(db_access) -> None:
    """Negative control: with lo_* executable, one session stores a tenant's e-mail and any other
    session of the role reads it back (large objects have no RLS)."""
    grant = "GRANT EXECUTE ON FUNCTION pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_get(oid) TO {app}"
    with broken("lo", [], as_admin=[grant]) as (_name, _found):
        writer, reader = connect("app"), connect("app")
        try:
            (oid,) = rows(writer, "SELECT lo_from_bytea(0, convert_to('b0@victim.test', 'UTF8'))")[0]
            writer.commit()
            assert rows(reader, "SELECT convert_from(lo_get(%s), 'UTF8')", [oid]) == [("b0@victim.test",)]
        finally:
            writer.close()
            reader.close()
