"""The database roles and everything they are granted, as SQL.

``bootstrap_db`` runs these statements through the admin connection; the audit's ``--sql``
prints them (with password placeholders); the docker entrypoint runs the same command.
Role names are read from ``settings.LAKEHOUSE_ROLES`` at call time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    staff: str

    def __getitem__(self, key: str) -> str:
        return str(getattr(self, key))


def configured_roles() -> Roles:
    from django.conf import settings

    names: Mapping[str, str] = settings.LAKEHOUSE_ROLES
    return Roles(owner=names["owner"], app=names["app"], replication=names["replication"],
                 resolver=names["resolver"], staff=names["staff"])


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
    statements += staff_role_statements(roles, passwords)
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
    statements += staff_database_statements(roles, database)
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


# --------------------------------------------------------------------------- the staff role
#
# Django's own tables (users and password hashes, groups, permissions, sessions, the admin
# log, the staff-to-tenant bindings) belong to the admin, not to the serving role. The app
# role gets every table of the schema by default privileges; these statements take Django's
# tables back from it (and from the DMS role) and give them to a separate login role that the
# admin's ``staff`` database alias uses (project.routers). The staff role has no BYPASSRLS and
# no grant on any tenant table: what it learns of tenants comes from one SECURITY DEFINER
# directory function.

STAFF_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
#: Staff-routed tables that only ``migrate`` (the owner) writes: the staff role reads them.
STAFF_READ_ONLY_TABLES = frozenset({"auth_permission", "django_content_type"})
STAFF_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
#: Django's migration history: the app role may read it (``runserver`` checks for unapplied
#: migrations as the default connection), the DMS role too (backups as that role must carry
#: it), and nobody but the owner writes it.
MIGRATIONS_TABLE = "django_migrations"
#: Tenant id, slug, name, domain and state of every tenant, for the admin's tenant picker.
STAFF_DIRECTORY_FUNCTION = "tenancy_tenant_directory"
#: The resolver role's column grant on the tenant table that the directory adds.
DIRECTORY_COLUMNS = ("name",)
#: Sequences owned by (identity/serial columns of) the given tables of schema public.
OWNED_SEQUENCES_SQL = (
    "SELECT s.relname FROM pg_class s "
    "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
    "AND d.refclassid = 'pg_class'::regclass "
    "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE s.relkind = 'S' AND n.nspname = 'public' AND t.relname = ANY(%s) ORDER BY 1"
)
EXISTING_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s) ORDER BY 1"
)


def staff_role_statements(roles: Roles, passwords: Mapping[str, str] | None = None) -> list[str]:
    """Create or re-shape the staff login role (cluster-wide, run as a superuser)."""
    name = qn(roles.staff)
    literal = ":'staff_password'" if passwords is None else _literal(passwords["staff"])
    return [
        "DO $$ BEGIN "  # noqa: S608 - identifiers and literals are quoted by qn()/_literal()
        f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(roles.staff)}) THEN "
        f"CREATE ROLE {name}; END IF; END $$",
        f"ALTER ROLE {name} WITH {STAFF_ROLE_ATTRIBUTES} PASSWORD {literal}",
        f"REVOKE {qn(roles.owner)} FROM {name}",
        f"ALTER ROLE {name} RESET ALL",
    ]


def staff_database_statements(roles: Roles, database: str) -> list[str]:
    """Connect and schema usage for the staff role, and the tenant directory it may call.

    The directory is owned by the resolver role (NOLOGIN, BYPASSRLS, column grants only) and
    executable by the staff role alone: the app role cannot list tenants.
    """
    fn = f"public.{STAFF_DIRECTORY_FUNCTION}()"
    staff = qn(roles.staff)
    return [
        f"GRANT CONNECT ON DATABASE {qn(database)} TO {staff}",
        f"GRANT USAGE ON SCHEMA public TO {staff}",
        f"CREATE OR REPLACE FUNCTION {fn} "  # noqa: S608 - constant identifiers
        "RETURNS TABLE (id uuid, slug text, name text, domain text, is_active boolean) "
        "LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$ BEGIN "
        "RETURN QUERY SELECT t.id, t.slug::text, t.name::text, t.domain::text, t.is_active "
        f"FROM public.{TENANT_TABLE} AS t ORDER BY t.name; END $fn$",
        f"ALTER FUNCTION {fn} OWNER TO {qn(roles.resolver)}",
        f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {fn} TO {staff}",
    ]


def staff_table_statements(roles: Roles, tables: Sequence[str], sequences: Sequence[str]) -> list[str]:
    """Move Django's tables from the serving roles to the staff role (run after ``migrate``).

    ``tables`` are the tables of the staff-routed models that exist, ``sequences`` the
    sequences they own. The app and DMS roles lose every privilege on them; the staff role
    reads and writes them (reads only for permissions and content types). The app and DMS roles
    keep SELECT on ``django_migrations``, nothing else.
    """
    app, repl, staff = qn(roles.app), qn(roles.replication), qn(roles.staff)
    statements: list[str] = []
    for table in sorted(tables):
        target = f"public.{qn(table)}"
        privileges = "SELECT" if table in STAFF_READ_ONLY_TABLES else STAFF_TABLE_PRIVILEGES
        statements += [f"REVOKE ALL ON {target} FROM {app}, {repl}", f"GRANT {privileges} ON {target} TO {staff}"]
    for sequence in sorted(sequences):
        target = f"SEQUENCE public.{qn(sequence)}"
        statements += [f"REVOKE ALL ON {target} FROM {app}, {repl}", f"GRANT USAGE, SELECT ON {target} TO {staff}"]
    migrations = f"public.{qn(MIGRATIONS_TABLE)}"
    statements += [
        f"REVOKE ALL ON {migrations} FROM {app}, {repl}",
        f"GRANT SELECT ON {migrations} TO {app}, {repl}",
        f"GRANT SELECT ({', '.join(DIRECTORY_COLUMNS)}) ON public.{TENANT_TABLE} TO {qn(roles.resolver)}",
    ]
    return statements


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
