"""Create the database and its roles (idempotent), through the admin connection.

The SQL comes from :mod:`rls.roles`; this module only decides where to run it. Used by
``manage.py bootstrap_db``, the test fixtures and the docker entrypoint.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg2
from psycopg2 import sql as pgsql

from project.database import connect, database_name, role_credentials
from project.staff import apply_staff_grants
from rls.roles import configured_roles, database_statements, role_statements

Log = Callable[[str], None]
ROLE_LOCK_KEY = 7_340_001


class BootstrapError(RuntimeError):
    pass


def _admin(dbname: str):
    try:
        conn = connect("admin", dbname=dbname)
    except psycopg2.OperationalError as exc:
        raise BootstrapError(
            f"Cannot connect as the admin role to database {dbname!r}: {str(exc).strip()}. "
            "Set DATABASE_ADMIN_URL (or DATABASE_ADMIN_PASSWORD) to a superuser of the server."
        ) from exc
    conn.autocommit = True
    return conn


def ensure_roles(log: Log = lambda _m: None) -> None:
    passwords = {key: creds.password for key, creds in role_credentials().items()}
    conn = _admin("postgres")
    try:
        with conn.cursor() as cursor:
            # Roles are cluster-wide: serialise concurrent bootstraps (parallel test runs).
            cursor.execute("SELECT pg_advisory_lock(%s)", [ROLE_LOCK_KEY])
            for statement in role_statements(configured_roles(), passwords):
                cursor.execute(statement)
    finally:
        conn.close()
    log("roles: " + ", ".join(f"{k}={v}" for k, v in vars(configured_roles()).items()))


def ensure_database(dbname: str, *, fresh: bool = False, log: Log = lambda _m: None) -> None:
    roles = configured_roles()
    conn = _admin("postgres")
    try:
        with conn.cursor() as cursor:
            if fresh:
                cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(dbname)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
            if cursor.fetchone() is None:
                cursor.execute(pgsql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    pgsql.Identifier(dbname), pgsql.Identifier(roles.owner)))
                log(f"database {dbname} created")
    finally:
        conn.close()
    conn = _admin(dbname)
    try:
        with conn.cursor() as cursor:
            for statement in database_statements(roles, dbname):
                cursor.execute(statement)
            apply_staff_grants(cursor)  # the schema-wide grants above include Django's tables
    finally:
        conn.close()
    log(f"database {dbname}: ownership, grants and default privileges applied")


def drop_database(dbname: str) -> None:
    conn = _admin("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(dbname)))
    finally:
        conn.close()


def bootstrap(dbname: str | None = None, *, log: Log = lambda _m: None) -> None:
    ensure_roles(log)
    ensure_database(dbname or database_name(), log=log)
