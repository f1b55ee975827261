"""The wiring commands: dburl, dbserver status, bootstrap_db (idempotent), check."""

from __future__ import annotations

import io
import json

import psycopg2
import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from project.database import connect, role_credentials, uses_local_server


def _out(*args: str, **kwargs: object) -> str:
    buffer = io.StringIO()
    call_command(*args, stdout=buffer, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("role", ["app", "owner", "replication"])
def test_dburl_prints_a_working_uri_for_each_role(django_db_setup, role: str) -> None:
    url = _out("dburl", "--role", role).strip()
    assert url.startswith("postgresql://" + role_credentials()[role].name)
    conn = psycopg2.connect(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == role_credentials()[role].name
    conn.close()


def test_dburl_rejects_unknown_roles() -> None:
    with pytest.raises(CommandError):
        call_command("dburl", "--role", "root")


@pytest.mark.skipif(not uses_local_server(), reason="only with the local server")
def test_dbserver_status_reports_a_logical_wal_server(django_db_setup) -> None:
    status = json.loads(_out("dbserver", "status", "--json"))
    assert status["running"] is True and status["port"]
    conn = psycopg2.connect(_out("dburl", "--role", "app").strip())
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('wal_level'), current_setting('max_replication_slots')::int, "
                       "current_setting('max_wal_senders')::int, inet_server_addr() IS NOT NULL")
        wal_level, slots, senders, over_tcp = cursor.fetchone()
    conn.close()
    assert (wal_level, slots >= 10, senders >= 10, over_tcp) == ("logical", True, True, True)


def test_passwords_are_required(django_db_setup) -> None:
    url = _out("dburl", "--role", "app").strip()
    without_password = url.replace(":" + role_credentials()["app"].password, "", 1)
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(without_password + "?sslmode=disable", connect_timeout=5)


def test_bootstrap_is_idempotent(django_db_setup) -> None:
    first = _out("bootstrap_db", "--database-name", django_db_setup)
    second = _out("bootstrap_db", "--database-name", django_db_setup)
    assert "is ready" in first and "is ready" in second


@pytest.mark.django_db
def test_check_passes() -> None:
    call_command("check", databases=["default"])


def test_migrate_is_djangos_own_command() -> None:
    """No app shadows ``migrate``, so the order of INSTALLED_APPS does not matter for it."""
    assert get_commands()["migrate"] == "django.core"


def test_bootstrap_refuses_a_database_name_that_is_not_an_identifier(django_db_setup) -> None:
    with pytest.raises(CommandError, match="Refusing the database name 'bad;name'"):
        call_command("bootstrap_db", "--database-name", "bad;name", stdout=io.StringIO())
    conn = connect("owner", dbname=django_db_setup)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = 'bad;name'")
            assert cursor.fetchone()[0] == 0
    finally:
        conn.close()


@pytest.mark.parametrize(("verbosity", "shows_progress"), [(0, False), (1, True)])
def test_bootstrap_progress_follows_verbosity(django_db_setup, verbosity: int, shows_progress: bool) -> None:
    output = _out("bootstrap_db", "--database-name", django_db_setup, verbosity=verbosity)
    assert ("roles: owner=" in output) is shows_progress
    assert "is ready" in output
