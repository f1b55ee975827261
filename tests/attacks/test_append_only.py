"""Attack: ``set_config('pgtrigger.ignore', '{...}', true)`` switches pgtrigger's guards off.

Any role may set ``pgtrigger.ignore``, so the ``append_only`` trigger on events and the
``tenant_id_immutable`` trigger stop nobody who can run SQL. The guards that matter hold
without them: events are append-only by privilege (the app role has no UPDATE or DELETE),
and the policy's WITH CHECK refuses moving a row to another tenant.
"""

from __future__ import annotations

import psycopg2
import pytest

from project.database import connect
from tenancy.context import begin_signed
from tests.attacks.conftest import broken, rows
from tests.isolation.scratch import with_check_true

pytestmark = pytest.mark.rls


def ignore_every_trigger(conn, table: str) -> None:
    names = [row[0] for row in rows(conn, "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                                          "AND tgname LIKE 'pgtrigger_%%'", [table])]
    assert names, table
    rows(conn, "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"])


def tamper_with_events(conn, tenant) -> tuple[int, int]:
    """As the app role in its own tenant's context, with every guard trigger ignored."""
    with conn.cursor() as cursor:
        begin_signed(cursor, tenant)
    ignore_every_trigger(conn, "models_app_event")
    with conn.cursor() as cursor:
        cursor.execute("UPDATE models_app_event SET event_type = 'purchase'")
        updated = cursor.rowcount
        cursor.execute("DELETE FROM models_app_event")
        deleted = cursor.rowcount
    conn.rollback()
    return updated, deleted


def test_events_stay_append_only_with_pgtrigger_ignore(victims, app_conn) -> None:
    """Attack: set pgtrigger.ignore for every trigger of events, then UPDATE and DELETE them."""
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for table models_app_event"):
        tamper_with_events(app_conn, victims.a)


def test_rows_cannot_move_tenants_with_pgtrigger_ignore(victims, app_conn) -> None:
    """Attack: ignore tenant_id_immutable and move tenant A's customers to tenant B."""
    with app_conn.cursor() as cursor:
        begin_signed(cursor, victims.a)
    ignore_every_trigger(app_conn, "models_app_customer")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        rows(app_conn, "UPDATE models_app_customer SET tenant_id = %s", [str(victims.b)])
    app_conn.rollback()


def test_control_with_update_and_delete_granted_the_trigger_alone_gives_way(db_access) -> None:
    """Negative control: the grants of before (app may UPDATE/DELETE events): ignoring the trigger
    rewrites and deletes events."""
    with broken("events", ["GRANT UPDATE, DELETE ON models_app_event TO {app}"]) as (_name, found):
        conn = connect("app")
        try:
            assert tamper_with_events(conn, found.a) == (1, 1)
        finally:
            conn.close()


def test_control_without_with_check_the_row_moves(db_access) -> None:
    """Negative control: with WITH CHECK (true), the ignored trigger lets a row move to tenant B."""
    # (Without the event's composite key too, which would otherwise hold its customer back.)
    ddl = [*with_check_true("models_app_customer"),
           "ALTER TABLE models_app_event DROP CONSTRAINT models_app_event_customer_tenant_fk"]
    with broken("move", ddl) as (_name, found):
        conn = connect("app")
        try:
            with conn.cursor() as cursor:
                begin_signed(cursor, found.a)
            ignore_every_trigger(conn, "models_app_customer")
            with conn.cursor() as cursor:
                cursor.execute("UPDATE models_app_customer SET tenant_id = %s", [str(found.b)])
                assert cursor.rowcount == 3
            conn.rollback()
        finally:
            conn.close()
