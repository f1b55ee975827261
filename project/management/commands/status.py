"""``manage.py status``: one screen that says what is running and what is in the database.

Read-only: the database part is read as the replication role (the one cross-tenant
reader), so ``status`` never needs the owner or admin credentials and writes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psycopg2
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from project.database import connect, local_server, uses_local_server
from rls.constraints import tenant_scoped_models
from rls.roles import configured_roles
from rls.sql import qn

#: Where the local DMS task lands files by default (``dms_task --target``).
DEFAULT_LANDING = Path(os.environ.get("LAKEHOUSE_LANDING", "lake/landing"))

SLOTS_SQL = """
SELECT slot_name, plugin, slot_type, active, wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint AS lag_bytes
FROM pg_replication_slots WHERE database = current_database() ORDER BY slot_name
"""


def _server() -> dict[str, Any]:
    if not uses_local_server():
        return {"kind": "external (DATABASE_URL or DATABASE_HOST)"}
    status = local_server().status()
    return {"kind": "embedded", "running": status["running"], "port": status["port"], "data": status["root"]}


def _database() -> dict[str, Any]:
    roles = configured_roles()
    conn = connect("replication")
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_database()")
            version, name = cursor.fetchone()
            cursor.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(vars(roles).values())])
            present = {row[0] for row in cursor.fetchall()}
            counts = {}
            for model in sorted(tenant_scoped_models(), key=lambda m: m._meta.db_table):
                table = model._meta.db_table
                cursor.execute(f"SELECT count(*) FROM {qn(table)}")  # noqa: S608 - a model's table name
                counts[table] = cursor.fetchone()[0]
            tenant_table = apps.get_model("tenancy", "Tenant")._meta.db_table
            cursor.execute(f"SELECT DISTINCT settings #>> '{{seeding,seed}}', settings #>> '{{seeding,scale}}' "  # noqa: S608
                           f"FROM {qn(tenant_table)} WHERE settings ? 'seeding'")
            seeds = sorted({f"seed {seed} ({scale})" for seed, scale in cursor.fetchall()})
            cursor.execute(SLOTS_SQL)
            columns = [c.name for c in cursor.description]
            slots = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        conn.close()
    return {
        "version": version, "database": name,
        "roles": {key: (role, role in present) for key, role in vars(roles).items()},
        "tenants": counts.get(tenant_table, 0), "rows": counts, "seeds": seeds, "slots": slots,
    }


def _last_landing_file(root: Path) -> dict[str, Any] | None:
    if not root.is_dir():
        return None
    newest = max((p for p in root.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))),
                 key=lambda p: p.stat().st_mtime, default=None)
    if newest is None:
        return None
    return {"path": str(newest), "bytes": newest.stat().st_size}


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 1_048_576:,.1f} MB"


class Command(BaseCommand):
    help = "One screen: the server, the roles, the seeded world, replication slots and the last landed CDC file."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--landing", default=str(DEFAULT_LANDING),
                            help=f"landing folder of the local DMS task (default {DEFAULT_LANDING})")
        parser.add_argument("--json", action="store_true", help="print the status as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        server = _server()
        if server.get("running") is False:
            raise CommandError("The local PostgreSQL server is not running: start it with "
                               "`python manage.py dbserver start` (or `make demo`).")
        try:
            database = _database()
        except psycopg2.Error as exc:
            raise CommandError(f"Cannot read the database as the replication role: {str(exc).strip()}.") from exc
        landing = _last_landing_file(Path(options["landing"]))
        if options["json"]:
            self.stdout.write(json.dumps({"server": server, "database": database, "last_landing_file": landing},
                                         indent=2, default=str))
            return
        write = self.stdout.write
        where = (f"embedded, 127.0.0.1:{server['port']}, data in {server['data']}" if server["kind"] == "embedded"
                 else server["kind"])
        write(f"server    PostgreSQL {database['version']} ({where}), database {database['database']}")
        write("roles     " + ", ".join(f"{key}={name}{'' if ok else ' (MISSING)'}"
                                       for key, (name, ok) in database["roles"].items()))
        write(f"world     {database['tenants']:,} tenants"
              + (f", {', '.join(database['seeds'])}" if database["seeds"] else ", not seeded (run `make demo`)"))
        for table, count in database["rows"].items():
            write(f"          {table:<28} {count:>12,}")
        if not database["slots"]:
            write("slots     none (no CDC consumer has started)")
        for slot in database["slots"]:
            write(f"slot      {slot['slot_name']} ({slot['plugin']}, {'active' if slot['active'] else 'idle'}, "
                  f"WAL {slot['wal_status']}): retained {_mb(slot['retained_bytes'])}, lag {_mb(slot['lag_bytes'])}")
        write(f"landing   {landing['path']} ({landing['bytes']:,} bytes)" if landing
              else f"landing   no files in {options['landing']}")
