"""The Docker path, tested without a Docker engine.

* ``docker-compose.yml`` parses, and its variables, ports, commands and server options agree
  with ``.env.example``, ``project/database.py`` and ``devdb/conf.py``;
* the container entrypoint runs against the embedded server (pointed at a scratch database
  through ``DATABASE_HOST``/``PORT``/``NAME``) and leaves a database that passes ``rls_audit``;
* ``scripts/backup_db.sh`` dumps every tenant, where a dump as the app role gets none.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devdb.conf import hba_lines, server_options
from project.bootstrap import drop_database
from project.database import BASE_DIR, connect, local_server, role_credentials, server_address
from tenancy.context import begin_signed

yaml = pytest.importorskip("yaml", reason="PyYAML is a dev dependency: pip install -e '.[dev]'")

COMPOSE = BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = BASE_DIR / ".env.example"
DOCKERFILE = BASE_DIR / "Dockerfile"
ENTRYPOINT = BASE_DIR / "docker" / "entrypoint.sh"
#: Every published port binds to loopback unless PUBLISH_ADDRESS is set.
LOOPBACK = "${PUBLISH_ADDRESS:-127.0.0.1}"
HBA_SCRIPT = BASE_DIR / "docker" / "postgres" / "10-replication-hba.sh"
SERVERS_JSON = BASE_DIR / "docker" / "pgadmin" / "servers.json"
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?:(:?[-?])([^}]*))?\}")
#: Variables the code reads that are alternatives to (or outside of) the compose path.
NOT_FOR_COMPOSE = {"DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_REPLICATION_URL", "DATABASE_ADMIN_URL",
                   "DATABASE_LOADER_URL",
                   "LAKEHOUSE_PGDATA", "LAKEHOUSE_PG_BIN", "LAKEHOUSE_NO_AUTOSTART", "CONN_MAX_AGE", "LOG_LEVEL"}


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (BASE_DIR / "project" / "database.py", BASE_DIR / "project" / "settings.py"):
        text = path.read_text()
        names |= set(re.findall(r"""_env\(\s*["']([A-Z_]+)["']""", text))
        names |= set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z_]+)["']""", text))
    return names


def test_compose_has_the_plan_services(compose: dict) -> None:
    assert set(compose["services"]) == {"postgres", "django", "pgadmin"}
    assert "pgdata" in compose["volumes"]


def test_postgres_service_runs_the_embedded_server_options(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].split(":")[0] == "postgres"
    assert 12 <= int(postgres["image"].split(":")[1]) <= 16  # a version AWS DMS supports as a source
    assert postgres["command"] == ["postgres", *server_options()]
    assert any(volume.startswith("pgdata:") for volume in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["ports"] == [f"{LOOPBACK}:5432:5432"]


def test_django_service_waits_bootstraps_and_serves(compose: dict) -> None:
    django = compose["services"]["django"]
    assert django["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert django["command"] == ["python", "manage.py", "runserver", "--insecure", "0.0.0.0:8000"]
    assert django["ports"] == [f"{LOOPBACK}:8000:8000"]
    assert ".:/app" in django["volumes"]
    environment = django["environment"]
    example = env_example()
    assert environment["DATABASE_HOST"] == example["DATABASE_HOST"] == "postgres"
    assert str(environment["DATABASE_PORT"]) == example["DATABASE_PORT"]
    assert variables_read_by_the_code() - NOT_FOR_COMPOSE <= set(environment)


def test_dockerfile_is_slim_non_root_and_caches_dependencies() -> None:
    text = DOCKERFILE.read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert lines[0] == "FROM python:3.11-slim"
    user = [line for line in lines if line.startswith("USER ")]
    assert user and user[-1].split()[1] not in {"root", "0"}
    deps = next(i for i, line in enumerate(lines) if line.startswith("COPY pyproject.toml"))
    code = next(i for i, line in enumerate(lines) if line.startswith("COPY") and " . " in line)
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    assert deps < install < code  # the dependency layer survives code changes
    assert '"/app/docker/entrypoint.sh"' in text


def test_env_example_covers_every_variable_the_code_and_compose_read(compose: dict) -> None:
    example = env_example()
    for name in ("DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_HOST", "DATABASE_PORT",
                 "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"):
        assert name in example  # the seed plan's list
    assert variables_read_by_the_code() - NOT_FOR_COMPOSE <= set(example)
    for name, operator, default in VARIABLE.findall(COMPOSE.read_text()):
        assert name in example, f"docker-compose.yml uses ${{{name}}} that .env.example does not define"
        if operator == ":-":
            assert default == example[name], f"{name}: compose default {default!r} != .env.example"


def test_env_example_role_names_are_the_embedded_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # Same names on both paths, so docs/policies.sql describes the Docker database too.
    for name in variables_read_by_the_code():
        monkeypatch.delenv(name, raising=False)
    example = env_example()
    defaults = role_credentials()
    assert example["DATABASE_USER"] == defaults["app"].name
    assert example["DATABASE_OWNER_USER"] == defaults["owner"].name
    assert example["DATABASE_REPLICATION_USER"] == defaults["replication"].name
    from project.database import database_name, resolver_role_name

    assert example["DATABASE_RESOLVER_ROLE"] == resolver_role_name()
    assert example["DATABASE_NAME"] == database_name()


def test_pgadmin_is_optional_and_preregisters_the_server(compose: dict) -> None:
    pgadmin = compose["services"]["pgadmin"]
    assert pgadmin["profiles"] == ["pgadmin"]
    assert pgadmin["ports"] == [f"{LOOPBACK}:5050:80"]
    assert any(v.startswith("./docker/pgadmin/servers.json:") for v in pgadmin["volumes"])
    server = json.loads(SERVERS_JSON.read_text())["Servers"]["1"]
    example = env_example()
    assert (server["Host"], server["Port"]) == ("postgres", 5432)
    assert server["MaintenanceDB"] == example["DATABASE_NAME"]
    assert server["Username"] == example["DATABASE_REPLICATION_USER"]


def test_postgres_init_script_removes_every_replication_line(tmp_path: Path) -> None:
    """The image's initdb writes physical-replication lines; the init script takes them out."""
    hba = tmp_path / "pg_hba.conf"
    hba.write_text("local   all          all                 scram-sha-256\n"
                   "local   replication  all                 scram-sha-256\n"
                   "host    replication  all  127.0.0.1/32    scram-sha-256\n"
                   "# host replication kept as a comment\n"
                   "host all all all scram-sha-256\n")
    env = {"PATH": os.environ["PATH"], "PGDATA": str(tmp_path), "DATABASE_REPLICATION_USER": "dms_replication"}
    subprocess.run(["sh", str(HBA_SCRIPT)], env=env, check=True, timeout=30)
    rules = [line.split() for line in hba.read_text().splitlines() if line and not line.startswith("#")]
    assert rules == [["local", "all", "all", "scram-sha-256"], ["host", "all", "all", "all", "scram-sha-256"]]
    assert not any(line.split()[1:2] == ["replication"] for line in hba_lines("dms_replication"))
    mounts = yaml.safe_load(COMPOSE.read_text())["services"]["postgres"]["volumes"]
    assert any(m.startswith("./docker/postgres/10-replication-hba.sh:/docker-entrypoint-initdb.d/") for m in mounts)


def test_scripts_are_executable() -> None:
    for path in (ENTRYPOINT, HBA_SCRIPT, BASE_DIR / "scripts" / "init_db.sh", BASE_DIR / "scripts" / "backup_db.sh"):
        assert path.stat().st_mode & stat.S_IXUSR, f"{path} is not executable"


# --------------------------------------------------------------------------- entrypoint


def container_env(database: str) -> dict[str, str]:
    """The environment docker compose gives the django service, aimed at the local server."""
    address = server_address()
    creds = role_credentials()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env.update({
        "DATABASE_HOST": address.host, "DATABASE_PORT": str(address.port), "DATABASE_NAME": database,
        "DATABASE_ADMIN_USER": address.admin_user, "DATABASE_ADMIN_PASSWORD": address.admin_password or "",
        # The roles are shared by the whole server: the same names and passwords as everyone.
        "DATABASE_USER": creds["app"].name, "DATABASE_PASSWORD": creds["app"].password,
        "DATABASE_OWNER_USER": creds["owner"].name, "DATABASE_OWNER_PASSWORD": creds["owner"].password,
        "DATABASE_REPLICATION_USER": creds["replication"].name,
        "DATABASE_REPLICATION_PASSWORD": creds["replication"].password,
        "DATABASE_LOADER_USER": creds["loader"].name, "DATABASE_LOADER_PASSWORD": creds["loader"].password,
        "PYTHON": sys.executable, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    })
    if os.environ.get("DATABASE_RESOLVER_ROLE"):
        env["DATABASE_RESOLVER_ROLE"] = os.environ["DATABASE_RESOLVER_ROLE"]
    return env


@pytest.fixture(scope="module")
def entrypoint_database() -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    name = f"scratch_docker_{os.getpid()}"
    drop_database(name)
    try:
        result = subprocess.run(
            [str(ENTRYPOINT), sys.executable, "manage.py", "rls_audit", "--json"],
            env=container_env(name), capture_output=True, text=True, timeout=600,
        )
        yield name, result
    finally:
        drop_database(name)


def test_entrypoint_leaves_a_database_that_passes_the_audit(entrypoint_database) -> None:
    name, result = entrypoint_database
    assert result.returncode == 0, result.stderr[-3000:]
    assert "init_db: database ready and rls_audit passed" in result.stdout
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert report["database"] == name
    assert report["summary"]["passed"] is True
    assert not [f for f in report["findings"] if f["severity"] in {"critical", "high"}]


def test_backup_runs_as_the_replication_role_and_contains_every_tenant(entrypoint_database, tmp_path) -> None:
    name, result = entrypoint_database
    assert result.returncode == 0
    slugs = [f"backup-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    conn = connect("app", dbname=name)
    try:
        for slug in slugs:  # two tenants, each inserted inside its own context
            tenant_id = str(uuid.uuid4())
            with conn, conn.cursor() as cursor:
                begin_signed(cursor, tenant_id)
                cursor.execute(
                    "INSERT INTO tenancy_tenant (id, name, slug, created_at, updated_at, is_active, settings) "
                    "VALUES (%s, %s, %s, now(), now(), true, '{}')", [tenant_id, slug, slug],
                )
    finally:
        conn.close()
    bin_dir = local_server().bin_dir
    env = {**container_env(name), "PG_DUMP": str(bin_dir / "pg_dump")}
    dump = tmp_path / "all.dump"
    backup = subprocess.run([str(BASE_DIR / "scripts" / "backup_db.sh"), str(dump)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert backup.returncode == 0, backup.stderr
    restored = subprocess.run([str(bin_dir / "pg_restore"), "-f", "-", str(dump)], capture_output=True, text=True,
                              check=True, timeout=120).stdout
    assert all(slug in restored for slug in slugs)

    # Why not the app role: pg_dump's default row_security=off is refused under RLS...
    refused = subprocess.run(
        [str(bin_dir / "pg_dump"), "--table=tenancy_tenant", "--data-only", f"--dbname={_url_for('app', name)}"],
        capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "row-level security" in refused.stderr
    # ...and with row security on, it sees no tenant at all (no context in pg_dump).
    app_dump = subprocess.run(
        [str(bin_dir / "pg_dump"), "--enable-row-security", "--table=tenancy_tenant", "--data-only",
         f"--dbname={_url_for('app', name)}"], capture_output=True, text=True, timeout=120)
    assert app_dump.returncode == 0, app_dump.stderr
    assert not any(slug in app_dump.stdout for slug in slugs)


def _url_for(key: str, database: str) -> str:
    from project.database import role_url

    return role_url(key, database)
