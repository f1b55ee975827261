"""System checks: refuse to look healthy when DMS could not capture every change.

Read through the runtime connection (catalog views any role may read), so every
``manage.py`` command reports a server without ``wal_level=logical`` or a replication role
that could not see every row — the silent-loss case: without BYPASSRLS a DMS full load
reads *nothing* (RLS filters its SELECT) while CDC looks fine.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from rls.checks import runtime_aliases
from rls.replica import IDENTITY_SQL, identity_index_name

ROLE_SQL = "SELECT rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s"
SETTING_SQL = "SELECT setting FROM pg_settings WHERE name = 'wal_level'"
PRIVILEGE_SQL = """
SELECT t.name, c.oid IS NOT NULL AS present,
       CASE WHEN c.oid IS NULL THEN false ELSE has_table_privilege(%s, c.oid, 'SELECT') END AS can_select
FROM unnest(%s::text[]) AS t(name)
LEFT JOIN pg_class c ON c.relname = t.name AND c.relnamespace = current_schema()::regnamespace
"""


def cdc_findings(using: str = DEFAULT_DB_ALIAS) -> list[checks.CheckMessage]:
    from cdc.mapping import replicated_tables

    role = settings.LAKEHOUSE_ROLES["replication"]
    tables = [t.table for t in replicated_tables()]
    try:
        with connections[using].cursor() as cursor:
            cursor.execute(SETTING_SQL)
            wal_level = cursor.fetchone()[0]
            cursor.execute(ROLE_SQL, [role])
            role_row = cursor.fetchone()
            privileges: list[tuple[str, bool, bool]] = []
            identities: dict[str, tuple[str, str | None]] = {}
            if role_row is not None:
                cursor.execute(PRIVILEGE_SQL, [role, tables])
                privileges = cursor.fetchall()
            cursor.execute(IDENTITY_SQL, [tables])
            identities = {name: (kind, index) for name, kind, index in cursor.fetchall()}
    except DatabaseError as exc:
        return [checks.Warning(f"Could not inspect the database for CDC checks: {str(exc).strip()}",
                               hint="Start the database and run bootstrap_db.", id="cdc.W001")]
    found: list[checks.CheckMessage] = []
    if wal_level != "logical":
        found.append(checks.Error(
            f"wal_level is {wal_level!r}; AWS DMS (and cdc_tail) need 'logical'.",
            hint="Set wal_level=logical (devdb/conf.py) and restart PostgreSQL.", id="cdc.E001"))
    if role_row is None:
        found.append(checks.Error(f"The replication role {role!r} does not exist.",
                                  hint="Run python manage.py bootstrap_db.", id="cdc.E002"))
        return found
    replication, bypassrls = role_row
    if not replication:
        found.append(checks.Error(f"The replication role {role!r} lacks REPLICATION: it cannot read slots.",
                                  hint="ALTER ROLE ... REPLICATION, or rerun bootstrap_db.", id="cdc.E002"))
    if not bypassrls:
        found.append(checks.Error(
            f"The replication role {role!r} lacks BYPASSRLS: a DMS full load would read no rows "
            "(row level security filters its SELECT) while CDC still streams.",
            hint="ALTER ROLE ... BYPASSRLS, or rerun bootstrap_db.", id="cdc.E003"))
    blind = sorted(name for name, present, can_select in privileges if present and not can_select)
    if blind:
        found.append(checks.Error(
            f"The replication role {role!r} cannot SELECT from: {', '.join(blind)}.",
            hint="Rerun bootstrap_db (it grants SELECT on every table).", id="cdc.E004"))
    tenant_column = {t.table: t.tenant_column for t in replicated_tables()}
    for table, (kind, index) in sorted(identities.items()):
        if tenant_column.get(table) == "id":
            continue  # the tenant table: its primary key is the tenant id
        if kind != "i" or index != identity_index_name(table):
            found.append(checks.Warning(
                f"Table {table!r} has replica identity {kind!r} ({index or 'no index'}): its DELETE images "
                "will not carry tenant_id.",
                hint="Run python manage.py migrate (models_app.0002_replica_identity).", id="cdc.W002"))
    return found


@checks.register("cdc", checks.Tags.database)
def check_cdc(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [message for alias in runtime_aliases(databases) for message in cdc_findings(alias)]
