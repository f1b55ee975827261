"""Attack: switch tenants with SQL injected into the app role.

Before signed contexts, ``SELECT tenancy_resolve_tenant('<slug>', NULL)`` gave any tenant's
id and ``set_config('app.tenant_id', '<id>', true)`` opened that tenant for reading and
writing. Now the policies accept a tenant only with a proof (HMAC under a key the app role
cannot read) bound to the current transaction: knowing an id is no longer enough.
"""

from __future__ import annotations

import uuid

import psycopg2
import pytest
from django.db import connections

from rls.roles import RESOLVE_FUNCTION
from rls.signing import proof
from tenancy import TenantContextRejected, tenant_context
from tenancy.context import begin_signed
from tests.attacks.conftest import broken, rows
from tests.isolation.scratch import unsigned_policies

pytestmark = pytest.mark.rls

STEAL = "SELECT email FROM models_app_customer"
PLANT = ("INSERT INTO models_app_customer (id, tenant_id, email, first_name, last_name, is_active, metadata, "
         "created_at, updated_at) VALUES (%s, %s, 'planted@x.test', 'P', 'P', true, '{}', now(), now())")


def resolve_and_switch(conn, slug: str) -> tuple[list[tuple], str | None]:
    """The attack: resolve the victim's slug, set the bare setting, read and write."""
    (tenant_id,) = rows(conn, f"SELECT id FROM public.{RESOLVE_FUNCTION}(%s, NULL)", [slug])[0]  # noqa: S608
    rows(conn, "SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
    stolen = rows(conn, STEAL)
    error = None
    try:
        rows(conn, "SAVEPOINT w")
        rows(conn, PLANT, [str(uuid.uuid4()), str(tenant_id)])
    except psycopg2.Error as exc:
        error = exc.pgcode
        rows(conn, "ROLLBACK TO SAVEPOINT w")
    conn.rollback()
    return stolen, error


def test_resolver_id_and_set_config_show_and_write_nothing(victims, app_conn) -> None:
    """Outside any context: the resolver's id plus set_config reads no row and writes none."""
    stolen, error = resolve_and_switch(app_conn, victims.b_slug)
    assert stolen == []
    assert error == "42501"  # new row violates row-level security policy


def test_set_config_inside_a_legitimate_context_shows_nothing(victims, app_conn) -> None:
    """Inside tenant A's signed context, switching the bare setting to B loses everything."""
    with app_conn.cursor() as cursor:
        begin_signed(cursor, victims.a)
    assert len(rows(app_conn, STEAL)) == 3  # A's own rows, through the proof
    stolen, error = resolve_and_switch(app_conn, victims.b_slug)
    assert stolen == [] and error == "42501"


def test_proof_captured_from_another_transaction_is_useless(victims, app_conn, db_access) -> None:
    """Replay: B's tenant id and proof, taken from B's transaction (as pg_stat_activity or a log
    would show them), set in another transaction on the same backend and on another one."""
    victim = connections["default"]
    with tenant_context(victims.b), victim.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id'), current_setting('app.tenant_proof'), "
                       "pg_backend_pid()")
        tenant, captured, victim_pid = cursor.fetchone()
        assert len({row[0] for row in rows(victim, "SELECT tenant_id FROM models_app_customer")}) == 1
    # Same backend, next transaction (a pooled connection's next user).
    with tenant_context(victims.a), victim.cursor() as cursor:
        cursor.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_proof', %s, true)",
                       [tenant, captured])
        cursor.execute(STEAL)
        assert cursor.fetchall() == []
    # Another backend (the attacker's own connection).
    assert rows(app_conn, "SELECT pg_backend_pid()")[0][0] != victim_pid
    rows(app_conn, "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_proof', %s, true)",
         [tenant, captured])
    assert rows(app_conn, STEAL) == []


@pytest.mark.parametrize(("tenant", "sig"), [
    ("not-a-uuid", "0" * 16 + ":" + "0" * 64),
    ("{tenant}", "garbage"),
    ("{tenant}", "0" * 16 + ":" + "0" * 64),
    ("{TENANT}", "{proof}"),  # right proof, tenant spelled in capitals
    ("", ""),
    ("{tenant}' OR true --", "{proof}"),
])
def test_wrong_or_malformed_proofs_fail_closed_without_errors(victims, app_conn, tenant, sig) -> None:
    """A wrong, missing or malformed proof gives no rows and refuses writes; never a cast error."""
    xid, pid = rows(app_conn, "SELECT pg_current_xact_id()::text, pg_backend_pid()")[0]
    good = proof(victims.b, xid, pid)
    value = tenant.format(tenant=victims.b, TENANT=str(victims.b).upper())
    rows(app_conn, "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_proof', %s, true)",
         [value, sig.format(proof=good)])
    assert rows(app_conn, STEAL) == []
    assert rows(app_conn, "SELECT public.lakehouse_verified_tenant()") == [(None,)]


def test_a_proof_under_another_key_is_rejected_at_entry(victims, db_access, monkeypatch) -> None:
    """The ORM raises TenantContextRejected at entry (not empty results later)."""
    with monkeypatch.context() as patch:
        patch.setenv("LAKEHOUSE_CONTEXT_KEY", "an-attacker-guessed-key-that-is-long-enough-0123")
        with pytest.raises(TenantContextRejected), tenant_context(victims.b):
            pass


def test_app_role_cannot_read_the_key(victims, app_conn) -> None:
    """The key table is out of the app role's reach by every path."""
    for statement in ("SELECT * FROM lakehouse_private.context_keys",
                      "SELECT public.lakehouse_hmac_sha256_pad(inner_pad, 0) FROM lakehouse_private.context_keys"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            rows(app_conn, statement)
        app_conn.rollback()


def test_control_without_signatures_the_switch_succeeds(db_access) -> None:
    """Negative control: policies that trust the bare setting hand B's rows to the attacker."""
    from project.database import connect

    with broken("unsigned", unsigned_policies()) as (_name, found):
        conn = connect("app")
        try:
            stolen, error = resolve_and_switch(conn, found.b_slug)
        finally:
            conn.close()
        assert {row[0] for row in stolen} == found.b_emails
        assert error is None
