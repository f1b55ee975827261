"""The database roles and everything they are granted, as SQL.

``bootstrap_db`` runs these statements through the admin connection; the audit's ``--sql``
prints them (with password placeholders); the docker entrypoint runs the same command.
Role names are read from ``settings.LAKEHOUSE_ROLES`` at call time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings

from rls.sql import (
    HMAC_FUNCTION,
    KEY_TABLE,
    PRIVATE_SCHEMA,
    PROOF_PREFIX,
    PROOF_SETTING,
    TENANT_SETTING,
    VERIFY_FUNCTION,
    qn,
)

#: Attributes each role must have exactly. ``ALTER ROLE`` re-applies them on every bootstrap,
#: so a role someone widened by hand is narrowed again.
ROLE_ATTRIBUTES: dict[str, str] = {
    "owner": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    "app": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT",
    "replication": "LOGIN REPLICATION BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE",
    "resolver": "NOLOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION",
    # Signed tenant context (see context_signing_statements): the seeding loader works like
    # the app role (RLS, signed contexts) plus TEMPORARY; the verifier owns the keys.
    "loader": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT",
    "verifier": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
}

#: Roles without a password (NOLOGIN owners of SECURITY DEFINER functions).
NOLOGIN_ROLES = frozenset({"resolver", "verifier"})

#: The schema that holds AWS DMS's heartbeat table (the replication role may create there).
DMS_SCHEMA = "dms"

#: Table privileges per role on every table of the schema (and, by default privileges, on
#: every table later migrations create). The app role never gets TRUNCATE (it ignores RLS),
#: REFERENCES or TRIGGER; the replication role reads and nothing else.
TABLE_PRIVILEGES = {"app": "SELECT, INSERT, UPDATE, DELETE"}
#: The replication role reads the replicated (tenant) tables and, for backups, the migration
#: history: its table grants come from :func:`tenant_table_grant_statements` (and the staff
#: statements), never from default privileges. Sequences only count Django's rows (the staff
#: statements take the staff tables' sequences back).
SEQUENCE_PRIVILEGES = {"app": "USAGE, SELECT", "replication": "SELECT"}
#: Privileges of the seeding loader on every tenant table (it is subject to RLS like the app).
LOADER_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
#: Tables that are append-only *by privilege*: the app role may not UPDATE or DELETE them
#: (pgtrigger's append_only trigger is only a guard against mistakes: ``pgtrigger.ignore``
#: turns it off); the loader may DELETE (cleanup_data) but never UPDATE.
APPEND_ONLY_TABLES = ("models_app_event",)

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
    loader: str = "lakehouse_loader"
    verifier: str = "lakehouse_context_verifier"

    def __getitem__(self, key: str) -> str:
        return str(getattr(self, key))


def configured_roles() -> Roles:
    names: Mapping[str, str] = settings.LAKEHOUSE_ROLES
    return Roles(owner=names["owner"], app=names["app"], replication=names["replication"],
                 resolver=names["resolver"], staff=names["staff"],
                 loader=names.get("loader", Roles.loader),
                 verifier=names.get("verifier", Roles.verifier))


def policy_roles(roles: Roles) -> tuple[str, ...]:
    """The roles the tenant policies name: those that work under a signed tenant context."""
    return (roles.app, roles.loader)


def role_statements(roles: Roles, passwords: Mapping[str, str] | None = None) -> list[str]:
    """Create or re-shape the cluster-wide roles (run in any database, as a superuser).

    With ``passwords`` None the script shows psql variables (``:'app_password'``) instead.
    """
    statements: list[str] = []
    for key, attributes in ROLE_ATTRIBUTES.items():
        name = roles[key]
        password = ""
        if key not in NOLOGIN_ROLES:
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
    statements += session_hardening_statements(roles)
    return statements


#: Role defaults the admin sets on the roles that serve tenants; ``rls_audit`` reports any
#: other ``pg_db_role_setting`` entry of these roles (something the role did to itself).
#: ``track_activities = off``: a backend of these roles publishes no query text in
#: ``pg_stat_activity`` (psycopg2 interpolates parameters, so the text holds tenant data);
#: it is a superuser-only setting, so the role cannot turn it back on.
SESSION_DEFAULTS: dict[str, dict[str, str]] = {
    "app": {"track_activities": "off"},
    "loader": {"track_activities": "off", "temp_buffers": "128MB"},
    "replication": {},
}


def session_hardening_statements(roles: Roles) -> list[str]:
    """Reset what a role may have set on itself, then apply :data:`SESSION_DEFAULTS`.

    Any role may ``ALTER ROLE <itself> SET ...`` (PostgreSQL cannot forbid it); bootstrap
    undoes it and the audit reports it. The passwords are re-applied by ``role_statements``.
    """
    statements: list[str] = []
    for key, defaults in SESSION_DEFAULTS.items():
        statements.append(f"ALTER ROLE {qn(roles[key])} RESET ALL")
        statements += [f"ALTER ROLE {qn(roles[key])} SET {name} = {_literal(value)}"
                       for name, value in defaults.items()]
    return statements


def database_statements(roles: Roles, database: str) -> list[str]:
    """Schema ownership, grants and default privileges (run connected to ``database``)."""
    db, owner, app, repl = qn(database), qn(roles.owner), qn(roles.app), qn(roles.replication)
    statements = [
        f"ALTER DATABASE {db} OWNER TO {owner}",
        f"REVOKE ALL ON DATABASE {db} FROM PUBLIC",
        # No TEMPORARY for the app role (a TEMP view or function would shadow the tables of
        # the next request on a pooled connection): only the seeding loader stages in TEMP.
        f"REVOKE TEMPORARY ON DATABASE {db} FROM {app}",
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {qn(roles.loader)}",
        f"GRANT CONNECT ON DATABASE {db} TO {repl}",
        f"ALTER DATABASE {db} RESET ALL",
        # What a role may have set on itself for this database only (ALTER ROLE ... IN DATABASE).
        *(f"ALTER ROLE {qn(roles[key])} IN DATABASE {db} RESET ALL" for key in SESSION_DEFAULTS),
        f"ALTER SCHEMA public OWNER TO {owner}",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}, {repl}, {qn(roles.resolver)}, {qn(roles.loader)}, "
        f"{qn(roles.verifier)}",
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
    statements += replication_narrowing_statements(roles)
    statements += resolver_function_statements(roles)
    statements += staff_database_statements(roles, database)
    statements += context_signing_statements(roles)
    statements += function_revoke_statements(roles)
    statements += replication_ddl_guard_statements(roles)
    return statements


#: What the replication role may create, alter or drop (in schema ``dms``, the only one where
#: it has CREATE): the DMS heartbeat table and its indexes/sequences. No functions, views,
#: types, triggers or operators: code it could leave for others to run.
REPLICATION_DDL_ALLOWED = ("CREATE TABLE", "ALTER TABLE", "DROP TABLE", "CREATE INDEX", "DROP INDEX",
                           "CREATE SEQUENCE", "ALTER SEQUENCE", "DROP SEQUENCE")
REPLICATION_DDL_GUARD = "lakehouse_replication_ddl_guard"


def replication_ddl_guard_statements(roles: Roles) -> list[str]:
    """An event trigger that refuses any other DDL by the replication role.

    A schema's CREATE privilege cannot be split into tables and functions, and DMS needs to
    create its heartbeat table. The trigger (created by the admin; only a superuser can
    disable event triggers) admits :data:`REPLICATION_DDL_ALLOWED` and nothing else.
    """
    allowed = ", ".join(_literal(tag) for tag in REPLICATION_DDL_ALLOWED)
    function = f"{PRIVATE_SCHEMA}.replication_ddl_guard()"
    return [
        f"CREATE OR REPLACE FUNCTION {function} RETURNS event_trigger LANGUAGE plpgsql "
        "SET search_path = pg_catalog, pg_temp AS $fn$ BEGIN "
        f"IF (session_user = {_literal(roles.replication)} OR current_user = {_literal(roles.replication)}) "
        f"AND TG_TAG NOT IN ({allowed}) THEN "
        "RAISE EXCEPTION 'the replication role may only manage the DMS heartbeat table, not %', TG_TAG "
        "USING ERRCODE = 'insufficient_privilege'; END IF; END $fn$",
        f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC",
        f"DROP EVENT TRIGGER IF EXISTS {REPLICATION_DDL_GUARD}",
        f"CREATE EVENT TRIGGER {REPLICATION_DDL_GUARD} ON ddl_command_start EXECUTE FUNCTION {function}",
    ]


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


def replication_narrowing_statements(roles: Roles) -> list[str]:
    """Take back what earlier bootstraps granted the replication role on every table.

    DMS reads the replicated tables (the tenant tables, granted one by one with their
    policy) and nothing of Django's (``auth_*`` holds password hashes, ``django_session``
    live sessions). Default privileges no longer hand it new tables.
    """
    owner, repl = qn(roles.owner), qn(roles.replication)
    return [
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public REVOKE ALL ON TABLES FROM {repl}",
        *tenant_table_grant_statements(roles),
    ]


def tenant_table_grant_statements(roles: Roles) -> list[str]:
    """Grants that follow row security, for every table of ``public`` (idempotent).

    A table with row level security (a tenant table) is readable by the replication role
    and writable by the loader; any other table by neither. Append-only tables lose UPDATE
    and DELETE for the app role and UPDATE for the loader. Run by ``bootstrap_db`` (after
    its schema-wide grants) and by the migration that introduced signed contexts.
    """
    repl, loader, app = _literal(roles.replication), _literal(roles.loader), _literal(roles.app)
    append_only = "ARRAY[" + ", ".join(_literal(t) for t in APPEND_ONLY_TABLES) + "]::text[]"
    return [
        "DO $$ DECLARE r record; BEGIN "  # noqa: S608 - constants and qn()/_literal()-quoted names
        "FOR r IN SELECT c.oid::regclass AS t, c.relname::text AS name, c.relrowsecurity AS tenant "
        "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') LOOP "
        f"EXECUTE format('REVOKE ALL ON %s FROM %I', r.t, {loader}); "
        f"IF r.name <> {_literal(MIGRATIONS_TABLE)} THEN "
        f"EXECUTE format('REVOKE ALL ON %s FROM %I', r.t, {repl}); END IF; "
        "IF r.tenant THEN "
        f"EXECUTE format('GRANT SELECT ON %s TO %I', r.t, {repl}); "
        f"EXECUTE format('GRANT {LOADER_PRIVILEGES} ON %s TO %I', r.t, {loader}); "
        "END IF; "
        f"IF r.name = ANY({append_only}) THEN "
        f"EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM %I', r.t, {app}); "
        f"EXECUTE format('REVOKE UPDATE, TRUNCATE ON %s FROM %I', r.t, {loader}); "
        "END IF; END LOOP; END $$",
    ]


def context_signing_statements(roles: Roles) -> list[str]:
    """The verifier of signed tenant contexts: key table, HMAC-SHA256 in SQL, verify function.

    * ``lakehouse_private.context_keys`` holds the HMAC pads of each accepted key (the
      key's equivalent), owned by the NOLOGIN verifier role; nobody else has USAGE on the
      schema, so the app role cannot read a key by any path.
    * ``lakehouse_hmac_sha256(key, message)``: RFC 2104 over core ``sha256()`` (the embedded
      server has no pgcrypto); ``tests/rls/test_signing.py`` runs the RFC 4231 vectors.
    * ``lakehouse_verified_tenant()``: SECURITY DEFINER, ``search_path`` pinned, STABLE and
      PARALLEL RESTRICTED (the policies' InitPlan runs it once per statement, in the
      leader). It returns ``app.tenant_id`` as a uuid only when ``app.tenant_proof`` is the
      HMAC of (tenant, this transaction's id, this backend's pid) under a valid key, and
      NULL otherwise: values are compared as text and the tenant is cast only after its
      MAC matched (no cast error is possible), a transaction without an id (nobody entered
      a context) fails, and MACs are compared through another hash so the comparison's
      timing says nothing about the expected MAC.
    """
    verifier, schema = qn(roles.verifier), qn(PRIVATE_SCHEMA)
    executors = f"{qn(roles.app)}, {qn(roles.loader)}"
    pad = f"public.{HMAC_FUNCTION}_pad(bytea, integer)"
    hmac_fn = f"public.{HMAC_FUNCTION}(bytea, bytea)"
    verify = f"public.{VERIFY_FUNCTION}()"
    message = (f"'{PROOF_PREFIX}:' || v_tenant || ':' || v_xid::text || ':' || pg_backend_pid()::text")
    return [
        f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {verifier}",
        f"ALTER SCHEMA {schema} OWNER TO {verifier}",
        f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} (key_id text PRIMARY KEY, inner_pad bytea NOT NULL, "
        "outer_pad bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), valid_until timestamptz)",
        f"ALTER TABLE {KEY_TABLE} OWNER TO {verifier}",
        f"REVOKE ALL ON {KEY_TABLE} FROM PUBLIC",
        # K' = the key (hashed when longer than the 64-byte block), zero-padded, XOR the pad byte.
        f"CREATE OR REPLACE FUNCTION {pad.replace('(bytea, integer)', '(key bytea, pad integer)')} "  # noqa: S608 - constants and qn()/_literal()-quoted names
        "RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $fn$ "
        "SELECT decode(string_agg(lpad(to_hex(get_byte(k.b, i) # pad), 2, '0'), '' ORDER BY i), 'hex') "
        "FROM (SELECT CASE WHEN length(key) > 64 THEN sha256(key) ELSE key END "
        "|| decode(repeat('00', 64), 'hex') AS b) AS k, generate_series(0, 63) AS i $fn$",
        f"CREATE OR REPLACE FUNCTION {hmac_fn.replace('(bytea, bytea)', '(key bytea, message bytea)')} "
        "RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $fn$ "
        f"SELECT sha256(public.{HMAC_FUNCTION}_pad(key, 92) "
        f"|| sha256(public.{HMAC_FUNCTION}_pad(key, 54) || message)) $fn$",
        f"CREATE OR REPLACE FUNCTION {verify} RETURNS uuid LANGUAGE plpgsql STABLE PARALLEL RESTRICTED "  # noqa: S608 - constants and qn()/_literal()-quoted names
        "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$ DECLARE "
        f"v_tenant text := current_setting('{TENANT_SETTING}', true); "
        f"v_proof text := current_setting('{PROOF_SETTING}', true); "
        "v_xid xid8 := pg_current_xact_id_if_assigned(); "
        "v_inner bytea; v_outer bytea; v_mac bytea; BEGIN "
        # Cheap shape checks only (a regular expression costs more than the HMAC): any text
        # is compared as text, and the tenant is cast only once the MAC over exactly that
        # text matched, which only the key's holder (who signs canonical ids) can achieve.
        "IF v_xid IS NULL OR length(v_tenant) IS DISTINCT FROM 36 OR length(v_proof) IS DISTINCT FROM 81 "
        "THEN RETURN NULL; END IF; "
        f"SELECT k.inner_pad, k.outer_pad INTO v_inner, v_outer FROM {KEY_TABLE} AS k "
        "WHERE k.key_id = substr(v_proof, 1, 16) AND (k.valid_until IS NULL OR k.valid_until > now()); "
        "IF NOT FOUND THEN RETURN NULL; END IF; "
        f"v_mac := sha256(v_outer || sha256(v_inner || convert_to({message}, 'UTF8'))); "
        "IF sha256(convert_to(encode(v_mac, 'hex'), 'UTF8')) = sha256(convert_to(substr(v_proof, 18), 'UTF8')) "
        "THEN RETURN v_tenant::uuid; END IF; RETURN NULL; END $fn$",
        f"ALTER FUNCTION {pad} OWNER TO {verifier}",
        f"ALTER FUNCTION {hmac_fn} OWNER TO {verifier}",
        f"ALTER FUNCTION {verify} OWNER TO {verifier}",
        f"REVOKE ALL ON FUNCTION {pad}, {hmac_fn}, {verify} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {pad}, {hmac_fn}, {verify} TO {executors}",
        # The owner plans (never runs) the predicate: the audit and the system check compare
        # stored policies through EXPLAIN (rls.predicate). Without a proof it returns NULL anyway.
        f"GRANT EXECUTE ON FUNCTION {verify} TO {qn(roles.owner)}",
    ]


def key_provisioning_statements() -> list[str]:
    """Parameterised statements (run by the admin) that make exactly the given keys valid.

    Parameters: for the INSERT ``(key id, key, key)``, for the UPDATE ``([key ids])``. A key
    that is not configured any more stops being accepted at once (its row stays, expired,
    so a rotation is visible in the table).
    """
    return [
        f"INSERT INTO {KEY_TABLE} (key_id, inner_pad, outer_pad) VALUES "  # noqa: S608 - constants and qn()/_literal()-quoted names
        f"(%s, public.{HMAC_FUNCTION}_pad(%s, 54), public.{HMAC_FUNCTION}_pad(%s, 92)) "
        "ON CONFLICT (key_id) DO UPDATE SET valid_until = NULL",
        f"UPDATE {KEY_TABLE} SET valid_until = now() WHERE NOT (key_id = ANY(%s)) "  # noqa: S608 - constants and qn()/_literal()-quoted names
        "AND (valid_until IS NULL OR valid_until > now())",
    ]


#: Functions of pg_catalog that PUBLIC may execute and the serving roles must not: server
#: side large objects (a store outside RLS shared by every tenant), NOTIFY (a channel
#: between sessions), advisory locks (cross-session signalling and denial of service),
#: and creating physical slots or dropping any slot through SQL. ``pg_advisory_unlock_all``
#: stays: a context's reset calls it.
REVOKED_FUNCTIONS: tuple[str, ...] = (
    "lo_create(oid)", "lo_creat(integer)", "lo_from_bytea(oid, bytea)", "lo_open(oid, integer)",
    "lo_put(oid, bigint, bytea)", "lo_get(oid)", "lo_get(oid, bigint, integer)", "lo_unlink(oid)",
    "lowrite(integer, bytea)", "loread(integer, integer)", "lo_truncate(integer, integer)",
    "lo_truncate64(integer, bigint)",
    "pg_notify(text, text)",
    "pg_advisory_lock(bigint)", "pg_advisory_lock(integer, integer)",
    "pg_advisory_lock_shared(bigint)", "pg_advisory_lock_shared(integer, integer)",
    "pg_try_advisory_lock(bigint)", "pg_try_advisory_lock(integer, integer)",
    "pg_try_advisory_lock_shared(bigint)", "pg_try_advisory_lock_shared(integer, integer)",
    "pg_advisory_xact_lock(bigint)", "pg_advisory_xact_lock(integer, integer)",
    "pg_advisory_xact_lock_shared(bigint)", "pg_advisory_xact_lock_shared(integer, integer)",
    "pg_try_advisory_xact_lock(bigint)", "pg_try_advisory_xact_lock(integer, integer)",
    "pg_try_advisory_xact_lock_shared(bigint)", "pg_try_advisory_xact_lock_shared(integer, integer)",
    "pg_create_physical_replication_slot(name, boolean, boolean)",
    "pg_drop_replication_slot(name)",
)


def function_revoke_statements(roles: Roles) -> list[str]:
    """REVOKE EXECUTE of :data:`REVOKED_FUNCTIONS` from PUBLIC (per database: pg_catalog ACLs).

    The replication role keeps ``pg_drop_replication_slot`` (``cdc_slots --drop``); it can
    drop any slot that way, which PostgreSQL does not let us narrow (docs/SECURITY.md).
    """
    functions = ", ".join(f"pg_catalog.{signature}" for signature in REVOKED_FUNCTIONS)
    return [
        f"REVOKE EXECUTE ON FUNCTION {functions} FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION pg_catalog.pg_drop_replication_slot(name) TO {qn(roles.replication)}",
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
