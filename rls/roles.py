"""The database roles and everything they are granted, as SQL.

``bootstrap_db`` runs these statements through the admin connection; the audit's ``--sql``
prints them (with password placeholders); the docker entrypoint runs the same command.
Role names are read from ``settings.LAKEHOUSE_ROLES`` at call time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rls.sql import qn

#: Attributes each role must have exactly. ``ALTER ROLE`` re-applies them on every bootstrap,
#: so a role someone widened by hand is narrowed again.
ROLE_ATTRIBUTES: dict[str, str] = {
    "owner": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    "app": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT",
    "replication": "LOGIN REPLICATION BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE",
    "resolver": "NOLOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION",
}

#: The schema that holds AWS DMS's heartbeat table (the replication role may create there).
DMS_SCHEMA = "dms"

#: Table privileges per role on every table of the schema (and, by default privileges, on
#: every table later migrations create). The app role never gets TRUNCATE (it ignores RLS),
#: REFERENCES or TRIGGER; the replication role reads and nothing else.
TABLE_PRIVILEGES = {"app": "SELECT, INSERT, UPDATE, DELETE", "replication": "SELECT"}
#: The replication role may read sequence positions (never advance them): ``pg_dump`` needs
#: that to back up every tenant (scripts/backup_db.sh runs as the replication role).
SEQUENCE_PRIVILEGES = {"app": "USAGE, SELECT", "replication": "SELECT"}

RESOLVE_FUNCTION = "tenancy_resolve_tenant"
TENANT_TABLE = "tenancy_tenant"
RESOLVER_COLUMNS = ("id", "slug", "domain", "is_active")


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    replication: str
    resolver: str

    def __getitem__(self, key: str) -> str:
        return str(getattr(self, key))


def configured_roles() -> Roles:
    from django.conf import settings

    names: Mapping[str, str] = settings.LAKEHOUSE_ROLES
    return Roles(owner=names["owner"], app=names["app"], replication=names["replication"],
                 resolver=names["resolver"])


def role_statements(roles: Roles, passwords: Mapping[str, str] | None = None) -> list[str]:
    """Create or re-shape the cluster-wide roles (run in any database, as a superuser).

    With ``passwords`` None the script shows psql variables (``:'app_password'``) instead.
    """
    statements: list[str] = []
    for key, attributes in ROLE_ATTRIBUTES.items():
        name = roles[key]
        password = ""
        if key != "resolver":
            literal = f":'{key}_password'" if passwords is None else _literal(passwords[key])
            password = f" PASSWORD {literal}"
        statements.append(
            "DO $$ BEGIN "  # noqa: S608 - identifiers and literals are quoted by qn()/_literal()
            f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
            f"CREATE ROLE {qn(name)}; END IF; END $$"
        )
        statements.append(f"ALTER ROLE {qn(name)} WITH {attributes}{password}")
    # No role may act as the owner, and the app may not inherit anybody's rights.
    statements += [
        f"REVOKE {qn(roles.owner)} FROM {qn(roles.app)}",
        f"REVOKE {qn(roles.owner)} FROM {qn(roles.replication)}",
        f"REVOKE {qn(roles.resolver)} FROM {qn(roles.app)}",
        f"ALTER ROLE {qn(roles.app)} RESET ALL",
    ]
    return statements


def database_statements(roles: Roles, database: str) -> list[str]:
    """Schema ownership, grants and default privileges (run connected to ``database``)."""
    db, owner, app, repl = qn(database), qn(roles.owner), qn(roles.app), qn(roles.replication)
    statements = [
        f"ALTER DATABASE {db} OWNER TO {owner}",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",
        f"GRANT CONNECT ON DATABASE {db} TO {repl}",
        f"ALTER DATABASE {db} RESET ALL",
        f"ALTER SCHEMA public OWNER TO {owner}",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}, {repl}, {qn(roles.resolver)}",
        f"CREATE SCHEMA IF NOT EXISTS {qn(DMS_SCHEMA)} AUTHORIZATION {owner}",
        f"REVOKE ALL ON SCHEMA {qn(DMS_SCHEMA)} FROM PUBLIC",
        f"GRANT USAGE, CREATE ON SCHEMA {qn(DMS_SCHEMA)} TO {repl}",
    ]
    for key, privileges in TABLE_PRIVILEGES.items():
        statements += [
            f"GRANT {privileges} ON ALL TABLES IN SCHEMA public TO {qn(roles[key])}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT {privileges} ON TABLES TO {qn(roles[key])}",
        ]
    for key, privileges in SEQUENCE_PRIVILEGES.items():
        statements += [
            f"GRANT {privileges} ON ALL SEQUENCES IN SCHEMA public TO {qn(roles[key])}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT {privileges} ON SEQUENCES TO {qn(roles[key])}",
        ]
    statements += resolver_function_statements(roles)
    return statements


def resolver_function_statements(roles: Roles) -> list[str]:
    """The narrow tenant lookup the middleware uses.

    The app role cannot read other tenants' rows, yet it must turn ``X-Tenant: acme`` into
    an id before any context exists. This SECURITY DEFINER function is owned by a NOLOGIN
    role with BYPASSRLS whose only privilege is SELECT on four columns of the tenant table;
    it returns id and is_active of one tenant, has a fixed ``search_path`` and is executable
    by the app role alone. (PL/pgSQL, so it can be created before the table exists.)
    """
    fn = f"public.{RESOLVE_FUNCTION}(text, text)"
    resolver = qn(roles.resolver)
    return [
        f"CREATE OR REPLACE FUNCTION {fn.replace('(text, text)', '(p_slug text, p_host text)')} "  # noqa: S608
        "RETURNS TABLE (id uuid, is_active boolean) LANGUAGE plpgsql STABLE SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS $fn$ BEGIN "
        f"RETURN QUERY SELECT t.id, t.is_active FROM public.{TENANT_TABLE} AS t "
        "WHERE (p_slug IS NOT NULL AND t.slug = p_slug) "
        "OR (p_slug IS NULL AND p_host IS NOT NULL AND (t.domain = p_host "
        "OR (t.slug = split_part(p_host, '.', 1) AND position('.' IN p_host) > 0))) "
        "ORDER BY (t.domain = p_host) DESC NULLS LAST LIMIT 1; END $fn$",
        f"ALTER FUNCTION {fn} OWNER TO {resolver}",
        f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {fn} TO {qn(roles.app)}",
    ]


def resolver_grant_statements(roles: Roles) -> list[str]:
    columns = ", ".join(RESOLVER_COLUMNS)
    return [f"GRANT SELECT ({columns}) ON public.{TENANT_TABLE} TO {qn(roles.resolver)}"]


def resolver_revoke_statements(roles: Roles) -> list[str]:
    return [f"REVOKE ALL ON public.{TENANT_TABLE} FROM {qn(roles.resolver)}"]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
