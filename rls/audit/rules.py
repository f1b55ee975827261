"""The audit's rules: each turns catalog snapshots into findings with a severity.

Severities: ``critical`` (tenant isolation is broken now), ``high`` (one step from broken,
or the audit could not verify), ``medium`` (operational or defence-in-depth gap),
``low``/``info`` (worth knowing). Any critical or high finding fails the audit.
"""

from __future__ import annotations

from typing import Any

from rls import sql
from rls.audit.catalog import (
    DANGEROUS_PRIVILEGES,
    RLS_CVES,
    SCHEMA,
    WRITE_PRIVILEGES,
    DeclaredTable,
    Finding,
    FunctionInfo,
    PolicyInfo,
    RoleInfo,
    TableInfo,
)
from rls.roles import (
    APPEND_ONLY_TABLES,
    MIGRATIONS_TABLE,
    SESSION_DEFAULTS,
    TABLE_PRIVILEGES,
    Roles,
)
from rls.scram import verifier_matches

# --------------------------------------------------------------------------- findings

def table_findings(tables: dict[str, TableInfo], declared: dict[str, DeclaredTable],
                    expected: dict[str, PolicyInfo] | None, roles: Roles) -> list[Finding]:
    findings: list[Finding] = []
    for name in sorted(tables):
        info = tables[name]
        if not info.tenant_scoped:
            continue
        add = lambda severity, code, message, name=name: findings.append(Finding(severity, code, name, message))  # noqa: E731
        column = info.policy_column or "tenant_id"
        if name not in declared:
            add("high", "UNDECLARED_TENANT_TABLE",
                f"{name} has a tenant_id column but no model declares a tenant policy for it")
        if not info.rls_enabled:
            add("critical", "RLS_DISABLED", f"row level security is disabled on {name}: every role with a grant "
                "sees every tenant")
        elif not info.rls_forced:
            add("high", "RLS_NOT_FORCED", f"row level security is not FORCED on {name}: its owner "
                f"{info.owner} bypasses the policies")
        if info.owner != roles.owner:
            add("high", "WRONG_OWNER", f"{name} is owned by {info.owner}, not by {roles.owner}")
        if name in declared and not any(p.name == declared[name].policy for p in info.policies):
            add("critical", "POLICY_MISSING", f"{name} lacks its tenant policy {declared[name].policy}")
        if not info.policies and name not in declared:
            add("critical", "POLICY_MISSING", f"{name} has no policy")
        for policy in info.policies:
            findings.extend(policy_findings(name, column, policy, declared.get(name), expected))
        findings.extend(grant_findings(name, info, roles))
        if not info.primary_key:
            add("high", "NO_PRIMARY_KEY", f"{name} has no primary key: CDC cannot identify updated/deleted rows")
        identity = {"d": info.primary_key, "i": info.replica_identity_columns, "n": [], "f": info.columns}
        if column not in identity.get(info.replica_identity, []):
            # Medium, not high: a CDC completeness gap (DELETE events without tenant_id), not an
            # isolation hole. cdc's migration sets REPLICA IDENTITY USING INDEX <table>_tenant_id_key.
            add("medium", "REPLICA_IDENTITY_DROPS_TENANT",
                f"the replica identity of {name} ({IDENTITY_NAMES[info.replica_identity]}) does not include "
                f"{column}: DELETE/UPDATE change events will not say which tenant they belong to")
        for trigger in info.triggers:
            if trigger["enabled"] == "D":
                add("low", "TRIGGER_DISABLED", f"trigger {trigger['name']} on {name} is disabled")
    return findings


IDENTITY_NAMES = {"d": "DEFAULT (primary key)", "i": "USING INDEX", "n": "NOTHING", "f": "FULL"}


def policy_findings(table: str, column: str, policy: PolicyInfo, declared: DeclaredTable | None,
                     expected: dict[str, PolicyInfo] | None) -> list[Finding]:
    findings: list[Finding] = []
    subject = f"{table}.{policy.name}"
    is_declared = declared is not None and policy.name == declared.policy
    expressions = [e for e in (policy.using, policy.with_check) if e is not None]
    if any(e.strip("() ").lower() == "true" for e in expressions) or not expressions:
        findings.append(Finding("critical", "POLICY_ALLOWS_ALL", subject,
                                f"policy {policy.name} on {table} has a USING/WITH CHECK of true (or none)"))
    # Whether a condition is the tenant predicate is decided by rls.predicate (the one rule the
    # system check uses too); the OR test only chooses the wording.
    elif any(not sql.ors_another_condition(e) for e in policy.not_tenant_predicate()):
        findings.append(Finding("critical" if policy.permissive else "medium", "POLICY_WITHOUT_TENANT", subject,
                                f"policy {policy.name} on {table} has an expression that is not the tenant "
                                f"predicate on {column}"))
    if policy.permissive and any(sql.ors_another_condition(e) for e in policy.not_tenant_predicate()):
        findings.append(Finding("critical", "POLICY_OR_BYPASS", subject,
                                f"permissive policy {policy.name} on {table} ORs another condition into the "
                                "tenant predicate"))
    if policy.command in ("ALL", "INSERT", "UPDATE") and policy.with_check is None:
        findings.append(Finding("high", "POLICY_WITHOUT_CHECK", subject,
                                f"policy {policy.name} on {table} has no WITH CHECK: writes are checked only by "
                                "whatever USING happens to imply"))
    if not is_declared:
        if policy.permissive:
            findings.append(Finding("critical", "EXTRA_PERMISSIVE_POLICY", subject,
                                    f"{table} has the undeclared permissive policy {policy.name}: permissive "
                                    "policies are ORed, so it widens what every role sees"))
        else:
            findings.append(Finding("low", "EXTRA_RESTRICTIVE_POLICY", subject,
                                    f"{table} has the undeclared restrictive policy {policy.name}"))
    elif expected is not None and table in expected:
        want = expected[table]
        diffs = [attr for attr in ("permissive", "command", "roles", "using", "with_check")
                 if getattr(policy, attr) != getattr(want, attr)]
        if diffs:
            detail = "; ".join(f"{a}: live {getattr(policy, a)!r} != declared {getattr(want, a)!r}" for a in diffs)
            findings.append(Finding("high", "POLICY_DRIFT", subject, f"policy differs from rls.sql: {detail}"))
    return findings


def replication_write_findings(tables: dict[str, TableInfo], sequences: list[str], roles: Roles) -> list[Finding]:
    """Any write privilege of the DMS role, on any table of the schema or any sequence."""
    findings = []
    for name, info in sorted(tables.items()):
        writes = sorted(set(info.effective.get("replication", [])) & WRITE_PRIVILEGES)
        if writes:
            findings.append(Finding("high", "REPLICATION_WRITE_GRANT", name,
                                    f"the replication role {roles.replication} has {', '.join(writes)} on {name}"))
    for name in sequences:
        findings.append(Finding("high", "REPLICATION_WRITE_GRANT", name,
                                f"the replication role {roles.replication} has UPDATE on sequence {name} (setval)"))
    return findings


def django_table_findings(tables: dict[str, TableInfo], roles: Roles) -> list[Finding]:
    """Any privilege of the app or DMS role on a table that is not tenant data (Django's own).

    Users, password hashes, sessions and the admin log belong to the staff role
    (:func:`rls.roles.staff_table_statements`): a grant to the app role lets SQL injection create
    a superuser; a grant to the DMS role lets a leaked credential steal sessions. Only SELECT on
    the migration history is expected.
    """
    findings: list[Finding] = []
    for name, info in sorted(tables.items()):
        if info.tenant_scoped:
            continue
        allowed = {"SELECT"} if name == MIGRATIONS_TABLE else set()
        for key, role in (("app", roles.app), ("replication", roles.replication)):
            extra = sorted(set(info.effective.get(key, [])) - allowed)
            if extra:
                findings.append(Finding("high", "DJANGO_TABLE_GRANT", name,
                                        f"the {key} role {role} has {', '.join(extra)} on {name}, one of Django's "
                                        f"own tables (only the staff role {roles.staff} may)"))
    return findings


def grant_findings(table: str, info: TableInfo, roles: Roles) -> list[Finding]:
    findings: list[Finding] = []
    app_expected = {p.strip() for p in TABLE_PRIVILEGES["app"].split(",")}
    app = set(info.effective.get("app", []))
    if table in APPEND_ONLY_TABLES:
        app_expected -= {"UPDATE", "DELETE"}
        if app & {"UPDATE", "DELETE"}:
            findings.append(Finding("high", "APPEND_ONLY_WRITABLE", table,
                                    f"the app role {roles.app} may {', '.join(sorted(app & {'UPDATE', 'DELETE'}))} "
                                    f"the append-only table {table} (a trigger alone yields to pgtrigger.ignore)"))
    dangerous = sorted(app & DANGEROUS_PRIVILEGES)
    if dangerous:
        findings.append(Finding("high", "APP_DANGEROUS_GRANT", table,
                                f"the app role {roles.app} has {', '.join(dangerous)} on {table}"))
    other = sorted(app - app_expected - DANGEROUS_PRIVILEGES)
    if other:
        findings.append(Finding("medium", "APP_EXTRA_GRANT", table,
                                f"the app role {roles.app} has unexpected {', '.join(other)} on {table}"))
    missing = sorted(app_expected - app)
    if missing:
        findings.append(Finding("medium", "APP_MISSING_GRANT", table,
                                f"the app role {roles.app} lacks {', '.join(missing)} on {table}"))
    public = sorted(info.grants.get("PUBLIC", []) + info.column_grants.get("PUBLIC", []))
    if public:
        findings.append(Finding("high", "PUBLIC_GRANT", table, f"PUBLIC has {', '.join(public)} on {table}"))
    if "SELECT" not in info.effective.get("replication", []):
        findings.append(Finding("medium", "REPLICATION_CANNOT_READ", table,
                                f"the replication role {roles.replication} cannot SELECT {table} (DMS full load)"))
    known = {roles.app, roles.replication, roles.resolver, roles.loader, "PUBLIC"}
    for grantee in sorted(set(info.grants) | set(info.column_grants)):
        if grantee not in known:
            findings.append(Finding("high", "UNEXPECTED_GRANTEE", table,
                                    f"{grantee} has privileges on tenant table {table}"))
    if info.grants.get(roles.resolver):
        findings.append(Finding("high", "RESOLVER_TABLE_GRANT", table,
                                f"the resolver role {roles.resolver} has table-wide "
                                f"{', '.join(info.grants[roles.resolver])} on {table} (columns only expected)"))
    return findings


def role_findings(infos: list[RoleInfo], roles: Roles, settings: list[dict[str, Any]], session_tenant: str | None,
                   cursor: Any) -> list[Finding]:
    findings: list[Finding] = []
    by_key = {info.key: info for info in infos if info.key}
    for key, info in sorted(by_key.items()):
        if not info.exists:
            findings.append(Finding("high", "ROLE_MISSING", info.name, f"the {key} role {info.name} does not exist "
                                    "(run bootstrap_db)"))
        elif info.superuser:
            findings.append(Finding("critical", "ROLE_SUPERUSER", info.name,
                                    f"the {key} role {info.name} is a superuser: it bypasses every policy"))
    app, repl, owner = by_key["app"], by_key["replication"], by_key["owner"]
    if app.bypassrls:
        findings.append(Finding("critical", "APP_BYPASSRLS", app.name, f"the app role {app.name} has BYPASSRLS"))
    if app.exists and owner.exists:
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app.name, owner.name])
        if cursor.fetchone()[0]:
            findings.append(Finding("critical", "APP_MEMBER_OF_OWNER", app.name,
                                    f"the app role {app.name} is a member of the owner {roles.owner}: it can "
                                    "disable RLS and owns every tenant table"))
        for membership in app.member_of:
            if membership != roles.owner:
                findings.append(Finding("high", "APP_MEMBERSHIP", app.name,
                                        f"the app role {app.name} is a member of {membership}"))
        if app.createrole or app.createdb:
            findings.append(Finding("high", "APP_CREATE_ATTRIBUTES", app.name,
                                    f"the app role {app.name} has CREATEROLE or CREATEDB"))
    if owner.bypassrls:
        findings.append(Finding("high", "OWNER_BYPASSRLS", owner.name, f"the owner role {owner.name} has BYPASSRLS"))
    if repl.exists and not repl.bypassrls:
        findings.append(Finding("high", "REPLICATION_NO_BYPASSRLS", repl.name,
                                f"the replication role {repl.name} lacks BYPASSRLS: DMS full loads read no rows"))
    if repl.exists and not repl.replication:
        findings.append(Finding("medium", "REPLICATION_NO_REPLICATION", repl.name,
                                f"the replication role {repl.name} lacks REPLICATION: DMS cannot stream changes"))
    for membership in repl.member_of:
        findings.append(Finding("high", "REPLICATION_MEMBERSHIP", repl.name,
                                f"the replication role {repl.name} is a member of {membership}: it gains that "
                                "role's privileges (write grants included)"))
    if repl.createrole or repl.createdb:
        findings.append(Finding("high", "REPLICATION_CREATE_ATTRIBUTES", repl.name,
                                f"the replication role {repl.name} has CREATEROLE or CREATEDB"))
    resolver = by_key["resolver"]
    if resolver.login:
        findings.append(Finding("high", "RESOLVER_LOGIN", resolver.name,
                                f"the resolver role {resolver.name} (BYPASSRLS) can log in"))
    expected_bypass = {roles.replication, roles.resolver}
    for info in infos:
        if info.bypassrls and not info.superuser and info.name not in expected_bypass:
            findings.append(Finding("high", "UNEXPECTED_BYPASSRLS", info.name,
                                    f"role {info.name} has BYPASSRLS"))
        elif info.superuser and info.key is None:
            findings.append(Finding("info", "SUPERUSER", info.name,
                                    f"{info.name} is a superuser (trusted: administrators bypass RLS)"))
    # pg_db_role_setting holds role-wide (ALTER ROLE ... SET), role-in-database and
    # database-wide (ALTER DATABASE ... SET) defaults: any of them for app.tenant_id means
    # sessions start inside a tenant without ever entering a tenant context.
    for entry in settings:
        for setting in entry["settings"]:
            if setting.startswith(sql.TENANT_SETTING + "="):
                findings.append(Finding("critical", "TENANT_DEFAULT", f"{entry['database']}/{entry['role']}",
                                        f"a default {setting} for role {entry['role']} in database "
                                        f"{entry['database']}: sessions start inside a tenant"))
    if session_tenant:
        findings.append(Finding("critical", "TENANT_DEFAULT", "session",
                                f"a new session starts with {sql.TENANT_SETTING}={session_tenant!r} "
                                "(server or role default)"))
    return findings


def function_findings(functions: list[FunctionInfo]) -> list[Finding]:
    findings: list[Finding] = []
    for function in functions:
        if not function.search_path_fixed:
            findings.append(Finding("high", "SECDEF_SEARCH_PATH", function.signature,
                                    f"SECURITY DEFINER function {function.signature} (owner {function.owner}) has "
                                    "no fixed search_path: a caller can shadow what it calls"))
        if "PUBLIC" in function.executable_by:
            findings.append(Finding("high", "SECDEF_PUBLIC_EXECUTE", function.signature,
                                    f"SECURITY DEFINER function {function.signature} (owner {function.owner}) is "
                                    "executable by PUBLIC"))
    return findings


def schema_findings(cursor: Any, roles: Roles) -> list[Finding]:
    findings: list[Finding] = []
    cursor.execute(
        "SELECT r, has_schema_privilege(r, %(schema)s, 'CREATE') FROM unnest(%(roles)s::text[]) r "
        "WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)",
        {"schema": SCHEMA, "roles": [roles.app, roles.replication]},
    )
    for role, can_create in cursor.fetchall():
        if can_create:
            findings.append(Finding("high", "SCHEMA_CREATE", role,
                                    f"{role} may CREATE in schema {SCHEMA} (shadow tables or functions)"))
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a "
        "WHERE n.nspname = %s AND a.grantee = 0 AND a.privilege_type = 'CREATE')", [SCHEMA])
    if cursor.fetchone()[0]:
        findings.append(Finding("high", "SCHEMA_CREATE", "PUBLIC", f"PUBLIC may CREATE in schema {SCHEMA}"))
    return findings




# --------------------------------------------------------------------------- attacker models

def role_setting_findings(settings: list[dict[str, Any]], roles: Roles) -> list[Finding]:
    """``pg_db_role_setting`` of the serving and replication roles: exactly SESSION_DEFAULTS.

    Any role may ``ALTER ROLE <itself> SET ...`` (``row_security = off`` takes every tenant
    down for new connections, ``search_path`` redirects unqualified names); PostgreSQL
    cannot forbid it, so the audit reports every entry the admin did not make.
    """
    findings: list[Finding] = []
    for key, defaults in SESSION_DEFAULTS.items():
        name = roles[key]
        expected = {f"{setting}={value}" for setting, value in defaults.items()}
        found: set[str] = set()
        for entry in settings:
            if entry["role"] != name:
                continue
            for item in entry["settings"]:
                if entry["cluster_wide"] and item in expected:
                    found.add(item)
                else:
                    findings.append(Finding("high", "ROLE_SETTING", f"{name}: {item}",
                                            f"the {key} role {name} has the default {item} in "
                                            f"{entry['database']} (ALTER ROLE ... SET): not made by bootstrap_db; "
                                            "run bootstrap_db to reset it"))
        if "track_activities=off" in expected - found:
            findings.append(Finding("medium", "QUERY_TEXT_VISIBLE", name,
                                    f"the {key} role {name} lacks track_activities=off: sessions of the role see "
                                    "each other's SQL (with parameters) in pg_stat_activity"))
    return findings


def database_privilege_findings(rows: list[tuple[str, bool, bool]], roles: Roles) -> list[Finding]:
    findings: list[Finding] = []
    for role, temporary, create in rows:
        if role == roles.app and temporary:
            findings.append(Finding("high", "APP_TEMPORARY", role,
                                    f"the app role {role} may create TEMPORARY objects (directly or through "
                                    "PUBLIC): a TEMP view shadows a table for the next request on the connection"))
        if create:
            findings.append(Finding("high", "DATABASE_CREATE", role,
                                    f"{role} may CREATE schemas in the database"))
    return findings


def function_execute_findings(rows: list[tuple[str, str]], roles: Roles) -> list[Finding]:
    """Functions of REVOKED_FUNCTIONS a serving or replication role may still execute.

    Medium: where the server does not let us revoke them (managed services), the audit
    says so instead of failing; the replication role keeps pg_drop_replication_slot.
    """
    allowed = {(roles.replication, "pg_drop_replication_slot(name)")}
    return [Finding("medium", "EXTRA_EXECUTE", f"{role}: {function}",
                    f"{role} may execute {function} (large objects, NOTIFY, advisory locks and slot functions "
                    "are shared between tenants; REVOKE EXECUTE ... FROM PUBLIC)")
            for role, function in rows if (role, function) not in allowed]


def loader_table_findings(rows: list[tuple[str, str, list[str]]], roles: Roles) -> list[Finding]:
    """Privileges of the seeding loader on tables without row security (it loads tenant data only).

    The app and replication roles on Django's tables: :func:`django_table_findings`.
    """
    return [Finding("high", "DJANGO_TABLE_GRANT", f"{table}: {role}",
                    f"the loader role {role} has {', '.join(privileges)} on {table}, which has no row security "
                    "(not tenant data)")
            for table, role, privileges in rows if privileges and role == roles.loader]


def password_findings(verifiers: list[tuple[str, str | None]], passwords: dict[str, str]) -> list[Finding]:
    """A role whose SCRAM verifier does not match the configured password changed it itself.

    ``ALTER ROLE <itself> PASSWORD`` is always allowed in PostgreSQL: it turns one injection
    into a standing credential. The admin reads ``pg_authid`` and recomputes the verifier.
    """

    findings: list[Finding] = []
    for role, verifier in verifiers:
        password = passwords.get(role)
        if password is None:
            continue
        if not verifier or not verifier_matches(verifier, password):
            findings.append(Finding("high", "ROLE_PASSWORD_CHANGED", role,
                                    f"the password of {role} is not the configured one (ALTER ROLE ... PASSWORD by "
                                    "the role itself?): rotate it with bootstrap_db and find out who changed it"))
    return findings


def hba_findings(rules: list[tuple[Any, ...]]) -> list[Finding]:
    return [Finding("high", "HBA_REPLICATION_LINE", f"pg_hba.conf:{line}",
                    f"pg_hba.conf line {line} ({kind} replication {users} {address} {method}) admits physical "
                    "replication (pg_basebackup: a copy of the whole cluster); DMS needs none")
            for line, kind, _db, users, address, method, _error in rules]


def version_findings(version: int) -> list[Finding]:
    findings: list[Finding] = []
    major = version // 10000
    for cve, what, fixed in RLS_CVES:
        first_fixed = fixed.get(major)
        if first_fixed is not None and version < first_fixed:
            findings.append(Finding("high", "SERVER_RLS_CVE", cve,
                                    f"PostgreSQL {version} is affected by {cve} ({what}); fixed in "
                                    f"{first_fixed // 10000}.{first_fixed % 100}"))
        elif first_fixed is None and major < min(fixed):
            findings.append(Finding("high", "SERVER_RLS_CVE", cve,
                                    f"PostgreSQL major {major} is unsupported and affected by {cve} ({what})"))
    return findings


def policy_role_findings(tables: dict[str, TableInfo]) -> list[Finding]:
    return [Finding("high", "POLICY_TO_PUBLIC", f"{name}.{policy.name}",
                    f"policy {policy.name} on {name} applies TO PUBLIC: name the roles that work under a tenant "
                    "context (rls.roles.policy_roles)")
            for name, info in sorted(tables.items()) for policy in info.policies if "public" in policy.roles]
