"""Create the database and its roles (idempotent), through the admin connection.

The SQL comes from :mod:`rls.roles`; this module only decides where to run it. Used by
``manage.py bootstrap_db``, the test fixtures and the docker entrypoint.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg2
from psycopg2 import sql as pgsql

from project.database import connect, database_name, role_credentials
from project.staff import apply_staff_grants
from rls.roles import configured_roles, database_statements, key_provisioning_statements, role_statements
from rls.signing import ContextKeyError, accepted_keys, key_id

logger = logging.getLogger(__name__)
ROLE_LOCK_KEY = 7_340_001
#: Database names bootstrap creates: a plain identifier (letters, digits, ``_``, ``-``), so a
#: name is never something a shell, a URL or a reader would misread.
DATABASE_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")


class BootstrapError(RuntimeError):
    pass


def validate_database_name(dbname: str) -> str:
    """``dbname`` if it is a plain identifier, else :class:`BootstrapError` saying what is allowed."""
    if not DATABASE_NAME_PATTERN.fullmatch(dbname):
        raise BootstrapError(
            f"Refusing the database name {dbname!r}: use 1 to 63 letters, digits, '_' or '-', "
            "starting with a letter or '_'.")
    return dbname


def _admin(dbname: str) -> Any:
    """An autocommit connection as the admin role (a failure is :class:`DatabaseUnavailable`)."""
    conn = connect("admin", dbname=dbname)
    conn.autocommit = True
    return conn


def ensure_roles() -> None:
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
    logger.info("roles: %s", ", ".join(f"{k}={v}" for k, v in vars(configured_roles()).items()))


def ensure_database(dbname: str, *, fresh: bool = False) -> None:
    validate_database_name(dbname)
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
                logger.info("database %s created", dbname)
    finally:
        conn.close()
    conn = _admin(dbname)
    try:
        with conn.cursor() as cursor:
            for statement in database_statements(roles, dbname):
                cursor.execute(statement)
            apply_staff_grants(cursor)  # the schema-wide grants above include Django's tables
            ids = provision_context_keys(cursor)
    finally:
        conn.close()
    logger.info("database %s: ownership, grants and default privileges applied; tenant context keys "
                "accepted: %s", dbname, ", ".join(ids))


def provision_context_keys(cursor) -> list[str]:
    """Make exactly the configured context keys valid (LAKEHOUSE_CONTEXT_KEY[_PREVIOUS])."""
    try:
        keys = accepted_keys()
    except ContextKeyError as exc:
        raise BootstrapError(str(exc)) from exc
    insert, retire = key_provisioning_statements()
    for key in keys:
        cursor.execute(insert, [key_id(key), psycopg2.Binary(key), psycopg2.Binary(key)])
    ids = [key_id(key) for key in keys]
    cursor.execute(retire, [ids])
    return ids


def drop_database(dbname: str) -> None:
    conn = _admin("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(dbname)))
    finally:
        conn.close()


def bootstrap(dbname: str | None = None) -> None:
    """Roles, then the database ``dbname`` (default: the configured one) with its grants."""
    name = validate_database_name(dbname or database_name())
    ensure_roles()
    ensure_database(name)
