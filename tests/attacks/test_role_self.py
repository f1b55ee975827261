"""Attack: the app role rewrites its own role (PostgreSQL lets every role do this to itself).

``ALTER ROLE lakehouse_app SET row_security = off`` (cluster-wide or ``IN DATABASE``) took
every tenant down for new connections and survived restarts; ``ALTER ROLE lakehouse_app
PASSWORD '...'`` turned one injection into a standing credential; ``rls_audit`` still said
PASS. PostgreSQL cannot forbid either, so the defences are: the setting fails closed (no
rows are exposed), ``rls_audit`` reports both (high), and ``bootstrap_db`` undoes both.
"""

from __future__ import annotations

import psycopg2
import pytest

from project.bootstrap import ensure_database, ensure_roles
from project.database import connect, role_credentials
from rls.audit import audit
from rls.roles import configured_roles, role_statements
from rls.sql import qn
from tests.attacks.conftest import broken, rows
from tests.support import execute_as

pytestmark = pytest.mark.rls


def blocking_codes(dbname: str, *, with_admin: bool = True) -> set[str]:
    owner = connect("owner", dbname=dbname)
    admin = connect("admin", dbname=dbname) if with_admin else None
    passwords = {creds.name: creds.password for creds in role_credentials().values()}
    try:
        return {f.code for f in audit(owner, admin=admin, passwords=passwords).blocking}
    finally:
        owner.close()
        if admin is not None:
            admin.close()


def test_row_security_off_for_itself_fails_closed_is_reported_and_undone(victims, django_db_setup) -> None:
    attacker = connect("app")
    attacker.autocommit = True
    rows(attacker, f"ALTER ROLE CURRENT_USER IN DATABASE {qn(django_db_setup)} SET row_security = off")
    attacker.close()
    try:
        later = connect("app")  # the next worker's connection
        try:
            with later.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege,
                                                         match="row-level security"):
                cursor.execute("SELECT email FROM models_app_customer")
        finally:
            later.close()
        assert "ROLE_SETTING" in blocking_codes(django_db_setup)
    finally:
        ensure_database(django_db_setup)  # bootstrap_db's database part
    assert "ROLE_SETTING" not in blocking_codes(django_db_setup)


def test_control_the_role_wide_reset_alone_leaves_the_database_setting(db_access) -> None:
    """Negative control: bootstrap's former undo (ALTER ROLE ... RESET ALL, role-wide only)
    leaves an ``IN DATABASE`` default in place; the audit is what sees it."""
    with broken("role_setting", []) as (name, _found):
        app = qn(configured_roles().app)
        execute_as("admin", name, f"ALTER ROLE {app} IN DATABASE {qn(name)} SET row_security = off")
        execute_as("admin", name, f"ALTER ROLE {app} RESET ALL")
        assert rows_of(name, "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                             "WHERE d.datname = current_database()") == 1
        assert "ROLE_SETTING" in blocking_codes(name)


def rows_of(dbname: str, statement: str) -> int:
    conn = connect("admin", dbname=dbname)
    try:
        return rows(conn, statement)[0][0]
    finally:
        conn.close()


def test_a_password_the_role_set_itself_is_reported_and_undone(django_db_setup) -> None:
    attacker = connect("app")
    attacker.autocommit = True
    try:
        rows(attacker, "ALTER ROLE CURRENT_USER PASSWORD 'a-standing-credential-of-the-attacker'")
    finally:
        attacker.close()
    try:
        assert "ROLE_PASSWORD_CHANGED" in blocking_codes(django_db_setup)
        # Negative control: without the admin's look at the verifier, nothing tells.
        assert "ROLE_PASSWORD_CHANGED" not in blocking_codes(django_db_setup, with_admin=False)
    finally:
        ensure_roles()  # bootstrap_db re-applies the configured passwords
    assert "ROLE_PASSWORD_CHANGED" not in blocking_codes(django_db_setup)
    assert any("PASSWORD" in statement for statement in role_statements(configured_roles(), {
        key: "x" for key in ("owner", "app", "replication", "loader", "staff")}))
