"""Attacks on Django's own tables, as the app role (SQL injection) and as the DMS role.

Each attack runs as the real role against the real server and must fail; its negative
control runs the same attack on a scratch database where the app and DMS roles hold the
grants they had before (SELECT/INSERT/UPDATE/DELETE on every table of the schema for the
app role, SELECT on every table for the DMS role), and there it succeeds.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import re
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client

from project.database import BASE_DIR, connect
from project.routers import staff_tables
from rls.roles import MIGRATIONS_TABLE
from rls.sql import qn
from tenancy import tenant_context
from tenancy.middleware import ADMIN_SESSION_KEY
from tenancy.staff import grant_tenant
from tests.factories import CustomerFactory
from tests.isolation.scratch import scratch_database

pytestmark = [pytest.mark.rls]

#: The grants every role had before Django's tables moved to the staff role.
OLD_GRANTS = [
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {replication}",
]


def old_grants() -> list[str]:
    names = {key: qn(value) for key, value in settings.LAKEHOUSE_ROLES.items()}
    return [statement.format(**names) for statement in OLD_GRANTS]


@pytest.fixture
def database(django_db_setup: str, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        yield django_db_setup
        for alias in connections:
            connections[alias].close()


def as_role(role: str, dbname: str):
    conn = connect(role, dbname=dbname)
    conn.autocommit = True
    return conn


def staff_login(dbname: str) -> tuple[User, Client]:
    """A real staff login: the session row is written by the staff role."""
    name = f"victim-{uuid.uuid4().hex[:8]}"
    user = User.objects.create_user(name, f"{name}@example.test", "pw", is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username=name, password="pw")
    return user, client


# ------------------------------------------------------------------ the attacks


def forge_superuser(conn) -> str:
    """INSERT INTO auth_user a superuser whose password hash was made offline."""
    username = f"mallory-{uuid.uuid4().hex[:8]}"
    with conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined) VALUES (%s, true, %s, '', '', '', true, true, now())",
            [make_password("offline"), username])
    return username


def promote(conn, username: str) -> int:
    with conn.cursor() as cursor:
        cursor.execute("UPDATE auth_user SET is_superuser = true, is_staff = true WHERE username = %s", [username])
        return cursor.rowcount


def read(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def refused(action, *args) -> bool:
    try:
        action(*args)
    except psycopg2.errors.InsufficientPrivilege:
        return True
    return False


# ------------------------------------------------------------------ as the app role


def test_app_role_cannot_insert_a_superuser(database) -> None:
    """Attack: SQL injection as the app role inserts a superuser into auth_user, then logs into the admin."""
    conn = as_role("app", database)
    try:
        assert refused(forge_superuser, conn)
    finally:
        conn.close()


def test_app_role_cannot_promote_a_user(database) -> None:
    """Attack: SQL injection as the app role runs UPDATE auth_user SET is_superuser = true."""
    user = User.objects.create_user(f"plain-{uuid.uuid4().hex[:8]}", "p@example.test", "pw")
    conn = as_role("app", database)
    try:
        assert refused(promote, conn, user.username)
        user.refresh_from_db()
        assert not user.is_superuser
    finally:
        conn.close()
        user.delete()


def test_app_role_cannot_read_password_hashes_sessions_or_the_admin_log(database) -> None:
    """Attack: SQL injection as the app role reads auth_user.password, django_session and django_admin_log."""
    user, _client = staff_login(database)
    conn = as_role("app", database)
    try:
        for sql in ("SELECT password FROM auth_user", "SELECT session_key, session_data FROM django_session",
                    "SELECT object_repr FROM django_admin_log", "SELECT tenant FROM tenancy_stafftenantaccess"):
            assert refused(read, conn, sql), sql
    finally:
        conn.close()
        user.delete()


def test_app_role_cannot_write_any_django_table(database) -> None:
    """Attack: the app role rewrites permissions, content types or the migration history."""
    conn = as_role("app", database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT t, has_table_privilege(current_user, 'public.' || quote_ident(t), 'INSERT,UPDATE,DELETE'), "
                "has_table_privilege(current_user, 'public.' || quote_ident(t), 'SELECT') "
                "FROM unnest(%s::text[]) AS t", [[*staff_tables(), MIGRATIONS_TABLE]])
            rows = cursor.fetchall()
        assert {t for t, _w, _r in rows} >= {"auth_user", "auth_permission", "django_content_type", "django_session",
                                           "django_admin_log", "auth_user_user_permissions", MIGRATIONS_TABLE}
        assert [t for t, writes, _r in rows if writes] == []
        assert [t for t, _w, reads in rows if reads] == [MIGRATIONS_TABLE]  # runserver's migration check
        assert refused(read, conn, "UPDATE django_content_type SET model = model RETURNING id")
        assert refused(read, conn, "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now()) "
                                   "RETURNING id")
    finally:
        conn.close()


# ------------------------------------------------------------------ as the DMS role


def test_dms_role_cannot_read_sessions_or_password_hashes(database) -> None:
    """Attack: a leaked DMS credential reads django_session and auth_user (password hashes)."""
    user, _client = staff_login(database)
    conn = as_role("replication", database)
    try:
        for sql in ("SELECT session_key FROM django_session", "SELECT password FROM auth_user",
                    "SELECT object_repr FROM django_admin_log"):
            assert refused(read, conn, sql), sql
    finally:
        conn.close()
        user.delete()


def test_a_session_cannot_be_stolen_with_the_dms_credential(database) -> None:
    """Attack: read a staff session key with the DMS credential and replay it as the sessionid cookie."""
    user, client = staff_login(database)
    conn = as_role("replication", database)
    try:
        assert client.get("/admin/models_app/customer/").status_code == 200  # the victim's session works
        assert refused(read, conn, "SELECT session_key FROM django_session")
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = "guessed-" + uuid.uuid4().hex
        assert thief.get("/admin/models_app/customer/").status_code == 302  # to the login page
    finally:
        conn.close()
        user.delete()


# ------------------------------------------------------------------ negative controls


def test_control_with_the_old_grants_every_attack_succeeds(database) -> None:
    """Negative control: with the schema-wide grants of before, the app role makes itself a superuser that
    logs into the admin, and the DMS role steals a live staff session that then opens the admin."""
    with scratch_database("django_tables", old_grants()) as scratch:
        app, repl = as_role("app", scratch), as_role("replication", scratch)
        try:
            username = forge_superuser(app)
            assert promote(app, username) == 1
            assert read(app, "SELECT password FROM auth_user WHERE username = '" + username + "'")
            intruder = Client()
            assert intruder.login(username=username, password="offline")
            assert intruder.get("/admin/models_app/customer/").status_code == 200

            victim, client = staff_login(scratch)
            assert client.get("/admin/").status_code == 200
            keys = [row[0] for row in read(repl, "SELECT session_key FROM django_session")]
            assert keys and read(repl, "SELECT password FROM auth_user")
            thief = Client()
            thief.cookies[settings.SESSION_COOKIE_NAME] = keys[-1]
            stolen = thief.get("/admin/models_app/customer/")
            assert stolen.status_code == 200 and b"logout" in stolen.content.lower()
        finally:
            app.close()
            repl.close()
            for alias in connections:
                connections[alias].close()


def test_backup_script_dumps_django_tables_as_the_staff_role_only() -> None:
    """The backup as the DMS role skips exactly the staff tables (it may not read them); the staff role
    dumps them. The shell patterns must cover every staff-routed table."""
    text = (BASE_DIR / "scripts" / "backup_db.sh").read_text()
    patterns = re.search(r'staff_tables="([^"]*)"', text).group(1).split()
    for table in staff_tables():
        assert any(fnmatch.fnmatch(f"public.{table}", pattern) for pattern in patterns), table
    assert not fnmatch.fnmatch(f"public.{MIGRATIONS_TABLE}", "public.auth_*")
    assert all(not fnmatch.fnmatch("public.models_app_customer", pattern) for pattern in patterns)


def audit_codes(database: str) -> dict[str, set[str]]:
    out = io.StringIO()
    with contextlib.suppress(CommandError):  # a failing audit still printed its report
        call_command("rls_audit", "--json", database=database, stdout=out)
    report = json.loads(out.getvalue()[out.getvalue().index("{"):])
    codes: dict[str, set[str]] = {}
    for finding in report["findings"]:
        codes.setdefault(finding["code"], set()).add(finding["subject"])
    return codes


def test_rls_audit_reports_grants_on_django_tables(database) -> None:
    """The audit finds the grants these attacks need: none on the test database, every Django table
    (but the migration history's SELECT) with the old grants."""
    assert "DJANGO_TABLE_GRANT" not in audit_codes(database)
    with scratch_database("django_audit", old_grants()) as scratch:
        flagged = audit_codes(scratch).get("DJANGO_TABLE_GRANT", set())
        for alias in connections:
            connections[alias].close()
    assert {"auth_user", "django_session", "django_admin_log", "auth_permission",
            MIGRATIONS_TABLE} <= flagged  # django_migrations: INSERT/UPDATE/DELETE of the app role
    assert "tenancy_tenant" not in flagged


# ------------------------------------------------------------------ the admin's tenant pick


def test_staff_of_one_tenant_cannot_administer_another(committed) -> None:
    """Attack: a staff user bound to tenant A picks tenant B (by id, by slug, or with a session that
    already names B, e.g. from before the binding was withdrawn) and reads B's customers."""
    acme, globex = committed.tenant("acme-pick-attack"), committed.tenant("globex-pick-attack")
    with tenant_context(globex):
        CustomerFactory(email="secret@globex-pick-attack.test")
    name = f"staff-{uuid.uuid4().hex[:8]}"
    user = User.objects.create_user(name, f"{name}@example.test", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_customer"))
    grant_tenant(user, acme.id)
    client = Client()
    client.force_login(user)
    try:
        assert client.post("/admin/tenant/", {"tenant": str(globex.id)}).status_code == 403
        assert client.post("/admin/tenant/", {"slug": globex.slug}).status_code == 403
        session = client.session
        session[ADMIN_SESSION_KEY] = str(globex.id)
        session.save()
        assert b"secret@globex-pick-attack.test" not in client.get("/admin/models_app/customer/").content
        assert ADMIN_SESSION_KEY not in client.session
        # Negative control: with a binding to B, the same session shows B's customers.
        grant_tenant(user, globex.id)
        session = client.session
        session[ADMIN_SESSION_KEY] = str(globex.id)
        session.save()
        assert b"secret@globex-pick-attack.test" in client.get("/admin/models_app/customer/").content
    finally:
        user.delete()
