"""Without a running server: importing the settings starts nothing, and every command says so in one sentence.

These run ``manage.py`` in subprocesses against a scratch ``LAKEHOUSE_PGDATA`` (never the
suite's server), with the environment stripped of external database URLs, so they prove
the local-server path whatever the suite itself is connected to.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devdb.server import free_port
from project.database import BASE_DIR, role_credentials

EXTERNAL = ("DATABASE_URL", "DATABASE_HOST", "DATABASE_OWNER_URL", "DATABASE_REPLICATION_URL", "DATABASE_ADMIN_URL",
            "LAKEHOUSE_NO_AUTOSTART", "DATABASE_NAME")
#: Every command that needs the database, with arguments that would otherwise do real work.
COMMANDS = [
    ("seed_all", "--scale", "small"),
    ("seed_report",),
    ("metrics",),
    ("report", "--out", "{tmp}/report.html"),
    ("cdc_slots",),
    ("cleanup_data",),
    ("bench_rls",),
    ("simulate_activity", "--duration", "1"),
    ("cdc_tail", "--once"),
    ("rls_audit",),
    ("cdc_check", "--seconds", "1"),
    ("demo",),
    ("bootstrap_db",),
    ("migrate", "--database", "owner"),
    ("check", "--database", "default"),
]


def _env(pgdata: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in EXTERNAL}
    return {**env, "LAKEHOUSE_PGDATA": str(pgdata), "DJANGO_SETTINGS_MODULE": "project.settings", **extra}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)


def _assert_one_sentence(result: subprocess.CompletedProcess[str], *must_contain: str) -> None:
    stderr = result.stderr.strip()
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in stderr, stderr
    assert len(stderr.splitlines()) == 1, stderr
    for text in must_contain:
        assert text in stderr, stderr
    for creds in role_credentials().values():
        assert creds.password not in stderr


IMPORT_SCRIPT = """
import django
from django.conf import settings
settings.DATABASES  # the lazy settings are really loaded here
django.setup()
import project.urls  # noqa: F401
from django.core.management import call_command
call_command("check")
print("imported", sorted(settings.DATABASES))
"""


def test_importing_the_settings_starts_no_server(tmp_path: Path) -> None:
    """Autostart allowed, no server anywhere: importing, setting up Django and ``check`` touch nothing."""
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    result = subprocess.run([sys.executable, "-c", IMPORT_SCRIPT], cwd=BASE_DIR, env=_env(pgdata),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "imported ['default', 'loader', 'owner', 'staff']" in result.stdout  # staff: Django's own tables
    assert list(pgdata.iterdir()) == [], "importing the settings initialised or started a server"
    status = _manage(_env(pgdata), "dbserver", "status")
    assert status.returncode == 0, status.stderr
    assert "running      False" in status.stdout
    assert list(pgdata.iterdir()) == [], "dbserver status initialised or started a server"


@pytest.fixture
def stopped_server(tmp_path: Path) -> Path:
    """A server folder whose recorded port has nobody listening: the server was stopped."""
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "port").write_text(f"{free_port()}\n")
    return pgdata


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_says_in_one_sentence_that_the_server_is_stopped(stopped_server: Path, tmp_path: Path,
                                                                     command: tuple[str, ...]) -> None:
    args = [arg.format(tmp=tmp_path) for arg in command]
    result = _manage(_env(stopped_server, LAKEHOUSE_NO_AUTOSTART="1"), *args)
    _assert_one_sentence(result, "python manage.py dbserver start")
    assert not (stopped_server / "data").exists()


def test_a_server_never_started_is_named_too(tmp_path: Path) -> None:
    result = _manage(_env(tmp_path / "never", LAKEHOUSE_NO_AUTOSTART="1"), "seed_report")
    _assert_one_sentence(result, "LAKEHOUSE_NO_AUTOSTART", "python manage.py dbserver start")
    assert not (tmp_path / "never").exists()


def test_an_external_server_is_named_by_its_url_without_the_password(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://someone:s3cret-pw@127.0.0.1:{port}/somedb"
    result = _manage(_env(tmp_path / "unused", DATABASE_URL=url), "seed_report")
    # The role it tried first (the app role's URL, or a role URL derived from it), never a password.
    _assert_one_sentence(result, "Cannot connect to postgresql://", f"@127.0.0.1:{port}/somedb")
    assert "s3cret-pw" not in result.stderr


CONNECT_SCRIPT = """
import django
django.setup()
from django.db import OperationalError, connections
try:
    connections["default"].ensure_connection()
except OperationalError as exc:  # a fresh cluster has no app role yet: the server answered
    print("answered:", exc)
"""


def test_the_first_connection_starts_the_local_server(tmp_path: Path) -> None:
    """The control of the test above: the same probe sees a server once a connection is really opened."""
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    env = _env(pgdata)
    try:
        result = subprocess.run([sys.executable, "-c", CONNECT_SCRIPT], cwd=BASE_DIR, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert (pgdata / "data" / "PG_VERSION").exists() and (pgdata / "port").exists()
        assert "password authentication failed" in result.stdout, result.stdout
    finally:
        _manage(env, "dbserver", "stop")
