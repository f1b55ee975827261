"""Security audit of the live database: who can see which tenant's rows, and by what SQL.

The audit reads PostgreSQL's catalogs, never the Python declarations, and then compares
what it found with what :mod:`rls` declares (drift detection). It needs only a DB-API
connection; ``manage.py rls_audit`` opens one as the owner role (see that command for why).

Everything happens in one transaction that is always rolled back: the only thing the audit
ever creates is a TEMP probe table on which it lets PostgreSQL deparse the *expected*
policy, so live and expected expressions are compared in PostgreSQL's own spelling
(``pg_get_expr``) instead of by fragile text normalisation.

Severities: ``critical`` (tenant isolation is broken now), ``high`` (one step from broken,
or the audit could not verify), ``medium`` (operational or defence-in-depth gap),
``low``/``info`` (worth knowing). Any critical or high finding fails the audit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from rls import sql
from rls.constraints import TenantForeignKeyConstraint, tenant_policy_of, tenant_scoped_models
from rls.roles import (
    TABLE_PRIVILEGES,
    Roles,
    configured_roles,
    database_statements,
    resolver_grant_statements,
    role_statements,
)

SCHEMA = "public"
SEVERITIES = ("critical", "high", "medium", "low", "info")
BLOCKING = frozenset({"critical", "high"})
#: Table privileges that let a role bypass or tamper with RLS-protected data:
#: TRUNCATE ignores policies, REFERENCES lets a role probe other tenants' keys through a
#: foreign key of its own, TRIGGER runs code as whoever writes the table.
DANGEROUS_PRIVILEGES = frozenset({"TRUNCATE", "REFERENCES", "TRIGGER"})
WRITE_PRIVILEGES = frozenset({"INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"})
#: Placeholder for the database name in the ``--sql`` script (a psql variable).
DBNAME_PLACEHOLDER = ':"dbname"'
_DBNAME_SENTINEL = "__rls_audit_dbname__"
_PROBE = "rls_audit_probe"


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    subject: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.severity in BLOCKING


@dataclass
class PolicyInfo:
    name: str
    permissive: bool
    command: str
    roles: list[str]
    using: str | None
    with_check: str | None


@dataclass
class TableInfo:
    name: str
    owner: str
    rls_enabled: bool
    rls_forced: bool
    replica_identity: str
    columns: list[str]
    primary_key: list[str]
    replica_identity_columns: list[str]
    declared_policy: str | None = None
    policy_column: str | None = None
    policies: list[PolicyInfo] = field(default_factory=list)
    grants: dict[str, list[str]] = field(default_factory=dict)
    column_grants: dict[str, list[str]] = field(default_factory=dict)
    effective: dict[str, list[str]] = field(default_factory=dict)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    foreign_keys: dict[str, str] = field(default_factory=dict)
    publications: list[str] = field(default_factory=list)

    @property
    def tenant_scoped(self) -> bool:
        return self.declared_policy is not None or "tenant_id" in self.columns


@dataclass
class RoleInfo:
    name: str
    key: str | None
    exists: bool
    superuser: bool = False
    bypassrls: bool = False
    replication: bool = False
    createrole: bool = False
    createdb: bool = False
    login: bool = False
    member_of: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)


@dataclass
class FunctionInfo:
    signature: str
    owner: str
    search_path_fixed: bool
    config: list[str]
    executable_by: list[str]


@dataclass
class AuditReport:
    database: str
    auditor: str
    server_version: str
    tables: list[TableInfo]
    roles: list[RoleInfo]
    security_definer_functions: list[FunctionInfo]
    role_settings: list[dict[str, Any]]
    database_acl: list[str]
    schema_acl: list[str]
    findings: list[Finding]

    @property
    def blocking(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.blocking]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = {"counts": self.counts(), "blocking": len(self.blocking), "passed": not self.blocking}
        return data


@dataclass(frozen=True)
class DeclaredTable:
    """What ``rls`` declares for one tenant-scoped model."""

    table: str
    policy: str
    column: str
    foreign_key_statements: tuple[str, ...]

    def policy_statements(self) -> list[str]:
        return sql.enable_rls_statements(self.table, self.policy, self.column)


def declared_tables() -> list[DeclaredTable]:
    """The registry of tenant tables, from the models' constraints, sorted by table."""
    declared = []
    for model in tenant_scoped_models():
        policy = tenant_policy_of(model)
        assert policy is not None  # tenant_scoped_models() only returns models with one
        fks: list[str] = []
        for constraint in sorted(model._meta.constraints, key=lambda c: c.name):
            if isinstance(constraint, TenantForeignKeyConstraint):
                fks += constraint.statements(model)
        declared.append(DeclaredTable(model._meta.db_table, policy.name, policy.column, tuple(fks)))
    return sorted(declared, key=lambda d: d.table)


# --------------------------------------------------------------------------- catalog reads

TABLES_SQL = """
SELECT c.relname, pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity, c.relreplident::text,
  ARRAY(SELECT a.attname::text FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
  ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a
          ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY a.attname),
  ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a
          ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = c.oid AND i.indisreplident ORDER BY a.attname)
FROM pg_class c
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""

GRANTS_SQL = """
SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type
FROM pg_class c, aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p') AND a.grantee <> c.relowner
ORDER BY 1, 2, 3
"""

COLUMN_GRANTS_SQL = """
SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type || ' (' || att.attname || ')'
FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL,
     aclexplode(att.attacl) a
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1, 2, 3
"""

POLICIES_SQL = """
SELECT tablename::text, policyname::text, permissive = 'PERMISSIVE', cmd, roles::text[], qual, with_check
FROM pg_policies WHERE schemaname = %(schema)s ORDER BY 1, 2
"""

TRIGGERS_SQL = """
SELECT c.relname, t.tgname::text, t.tgenabled::text, p.proname::text
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
WHERE c.relnamespace = %(schema)s::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2
"""

FOREIGN_KEYS_SQL = """
SELECT c.relname, k.conname::text, pg_get_constraintdef(k.oid)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
WHERE c.relnamespace = %(schema)s::regnamespace AND k.contype = 'f' ORDER BY 1, 2
"""

PUBLICATIONS_SQL = """
SELECT tablename::text, pubname::text FROM pg_publication_tables WHERE schemaname = %(schema)s ORDER BY 1, 2
"""

ROLES_SQL = """
SELECT r.rolname::text, r.rolsuper, r.rolbypassrls, r.rolreplication, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        WHERE m.member = r.oid ORDER BY 1),
  COALESCE(r.rolconfig, '{}')
FROM pg_roles r WHERE r.rolname = ANY(%(names)s) OR r.rolsuper OR r.rolbypassrls ORDER BY 1
"""

WRITABLE_SEQUENCES_SQL = """
SELECT c.relname::text FROM pg_class c
WHERE c.relnamespace = %(schema)s::regnamespace
  AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(%(role)s, c.oid, 'UPDATE') ELSE false END
ORDER BY 1
"""
ROLE_SETTINGS_SQL = """
SELECT COALESCE(d.datname::text, '(all databases)'), COALESCE(r.rolname::text, '(all roles)'),
       s.setconfig, s.setdatabase = 0
FROM pg_db_role_setting s
LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
ORDER BY 1, 2
"""

FUNCTIONS_SQL = """
SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner), COALESCE(p.proconfig, '{}'),
  ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
        FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a
        WHERE a.privilege_type = 'EXECUTE' ORDER BY 1)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
"""

DATABASE_ACL_SQL = """
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ': ' || a.privilege_type
FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
WHERE d.datname = current_database() AND a.grantee <> d.datdba ORDER BY 1
"""

SCHEMA_ACL_SQL = """
SELECT n.nspname || ' ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
       || ': ' || a.privilege_type
FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
WHERE n.nspname IN (%(schema)s, 'dms') AND a.grantee <> n.nspowner ORDER BY 1
"""


def _rows(cursor: Any, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    cursor.execute(query, params or {"schema": SCHEMA})
    return list(cursor.fetchall())


def _table_privileges(version: int) -> list[str]:
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
    return privileges + (["MAINTAIN"] if version >= 170000 else [])


def _effective_privileges(cursor: Any, role: str, tables: list[str], version: int) -> dict[str, list[str]]:
    """Privileges ``role`` really has (through PUBLIC and memberships too), per table."""
    if not tables:
        return {}
    privileges = _table_privileges(version)
    cursor.execute(
        "SELECT t, ARRAY(SELECT p FROM unnest(%(privs)s::text[]) p "
        "WHERE has_table_privilege(%(role)s, quote_ident(%(schema)s) || '.' || quote_ident(t), p) ORDER BY p) "
        "FROM unnest(%(tables)s::text[]) t",
        {"privs": privileges, "role": role, "schema": SCHEMA, "tables": tables},
    )
    return {table: list(privs) for table, privs in cursor.fetchall()}


def _expected_policies(cursor: Any, declared: list[DeclaredTable]) -> dict[str, PolicyInfo]:
    """PostgreSQL's own deparse of each declared policy, made on a TEMP probe table."""
    expected: dict[str, PolicyInfo] = {}
    cursor.execute("SAVEPOINT rls_audit_probe")
    try:
        for column in sorted({d.column for d in declared}):
            probe = f"{_PROBE}_{len(expected)}"
            cursor.execute(f"CREATE TEMP TABLE {sql.qn(probe)} ({sql.qn(column)} uuid)")
            for statement in sql.enable_rls_statements(probe, _PROBE, column)[2:]:
                cursor.execute(statement)
            cursor.execute(
                "SELECT permissive = 'PERMISSIVE', cmd, roles::text[], qual, with_check FROM pg_policies "
                "WHERE tablename = %s AND schemaname LIKE 'pg_temp%%'", [probe],
            )
            permissive, command, roles, using, check = cursor.fetchone()
            expected[column] = PolicyInfo(_PROBE, permissive, command, list(roles), using, check)
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT rls_audit_probe")
    return {d.table: _renamed(expected[d.column], d.policy) for d in declared}


def _renamed(policy: PolicyInfo, name: str) -> PolicyInfo:
    return PolicyInfo(name, policy.permissive, policy.command, policy.roles, policy.using, policy.with_check)


def audit(connection: Any, roles: Roles | None = None,
          declared: list[DeclaredTable] | None = None) -> AuditReport:
    """Read the catalog through ``connection`` and return the report with its findings.

    The connection's current transaction is rolled back before and after: the audit
    leaves nothing behind and sees only committed state.
    """
    roles = roles or configured_roles()
    declared = declared if declared is not None else declared_tables()
    connection.rollback()
    previous_autocommit = connection.autocommit
    connection.autocommit = False
    try:
        with connection.cursor() as cursor:
            return _collect(cursor, roles, declared)
    finally:
        connection.rollback()
        connection.autocommit = previous_autocommit


def _collect(cursor: Any, roles: Roles, declared: list[DeclaredTable]) -> AuditReport:
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one consistent snapshot
    cursor.execute("SELECT current_database(), current_user, current_setting('server_version'), "
                   "current_setting('server_version_num')::int, current_setting(%s, true)",
                   [sql.TENANT_SETTING])
    database, auditor, version_text, version, session_tenant = cursor.fetchone()
    findings: list[Finding] = []

    tables = {row[0]: TableInfo(*row) for row in _rows(cursor, TABLES_SQL)}
    by_table = {d.table: d for d in declared}
    for d in declared:
        if d.table in tables:
            tables[d.table].declared_policy = d.policy
            tables[d.table].policy_column = d.column
        else:
            findings.append(Finding("critical", "TABLE_MISSING", d.table,
                                    f"tenant table {d.table} declared by rls does not exist (run migrate)"))
    for table, grantee, privilege in _rows(cursor, GRANTS_SQL):
        tables[table].grants.setdefault(grantee, []).append(privilege)
    for table, grantee, privilege in _rows(cursor, COLUMN_GRANTS_SQL):
        tables[table].column_grants.setdefault(grantee, []).append(privilege)
    for table, name, permissive, command, policy_roles, using, check in _rows(cursor, POLICIES_SQL):
        if table in tables:
            tables[table].policies.append(PolicyInfo(name, permissive, command, list(policy_roles), using, check))
    for table, name, enabled, function in _rows(cursor, TRIGGERS_SQL):
        tables[table].triggers.append({"name": name, "enabled": enabled, "function": function,
                                       "pgtrigger": name.startswith("pgtrigger_")})
    for table, name, definition in _rows(cursor, FOREIGN_KEYS_SQL):
        tables[table].foreign_keys[name] = definition
    for table, publication in _rows(cursor, PUBLICATIONS_SQL):
        if table in tables:
            tables[table].publications.append(publication)

    role_rows = _rows(cursor, ROLES_SQL, {"names": [roles[k] for k in ("owner", "app", "replication", "resolver")]})
    role_infos = _role_infos(role_rows, roles)
    existing = {info.name for info in role_infos if info.exists}
    scoped = sorted(name for name, info in tables.items() if info.tenant_scoped)
    if roles.app in existing:
        for table, privileges in _effective_privileges(cursor, roles.app, scoped, version).items():
            tables[table].effective["app"] = privileges
    replication_writes: list[str] = []
    if roles.replication in existing:
        # Every table, not only tenant tables: the DMS role must not write anywhere in the schema.
        for table, privileges in _effective_privileges(cursor, roles.replication, sorted(tables), version).items():
            tables[table].effective["replication"] = privileges
        replication_writes = [seq for (seq,) in _rows(
            cursor, WRITABLE_SEQUENCES_SQL, {"schema": SCHEMA, "role": roles.replication})]
    settings = [{"database": db, "role": role, "settings": list(config), "cluster_wide": cluster}
                for db, role, config, cluster in _rows(cursor, ROLE_SETTINGS_SQL)]
    functions = [
        FunctionInfo(signature, owner, any(c.startswith("search_path=") for c in config), list(config), list(execs))
        for signature, owner, config, execs in _rows(cursor, FUNCTIONS_SQL)
    ]
    database_acl = [row[0] for row in _rows(cursor, DATABASE_ACL_SQL)]
    schema_acl = [row[0] for row in _rows(cursor, SCHEMA_ACL_SQL)]

    try:
        expected = _expected_policies(cursor, [d for d in declared if d.table in tables])
    except Exception as exc:  # noqa: BLE001 - any failure means drift is unverified: fail closed
        expected = None
        findings.append(Finding("high", "DRIFT_UNVERIFIED", database,
                                f"could not build the expected policies on a TEMP probe table as {auditor}: "
                                f"{str(exc).strip()}; run the audit as the owner role"))

    findings += _table_findings(tables, by_table, expected, roles)
    findings += _replication_write_findings(tables, replication_writes, roles)
    findings += _role_findings(role_infos, roles, settings, session_tenant, cursor)
    findings += _function_findings(functions)
    findings += _schema_findings(cursor, roles)
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.code, f.subject, f.message))
    return AuditReport(database, auditor, version_text, [tables[name] for name in sorted(tables)], role_infos,
                       functions, settings, database_acl, schema_acl, findings)


def _role_infos(rows: list[tuple[Any, ...]], roles: Roles) -> list[RoleInfo]:
    keys = {roles[k]: k for k in ("owner", "app", "replication", "resolver")}
    found = {row[0]: RoleInfo(row[0], keys.get(row[0]), True, *row[1:7], list(row[7]), list(row[8]))
             for row in rows}
    for name, key in keys.items():
        found.setdefault(name, RoleInfo(name, key, False))
    return [found[name] for name in sorted(found)]


# --------------------------------------------------------------------------- findings

def _table_findings(tables: dict[str, TableInfo], declared: dict[str, DeclaredTable],
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
            findings.extend(_policy_findings(name, column, policy, declared.get(name), expected))
        findings.extend(_grant_findings(name, info, roles))
        if not info.primary_key:
            add("high", "NO_PRIMARY_KEY", f"{name} has no primary key: CDC cannot identify updated/deleted rows")
        identity = {"d": info.primary_key, "i": info.replica_identity_columns, "n": [], "f": info.columns}
        if column not in identity.get(info.replica_identity, []):
            # Medium, not high: a CDC completeness gap (DELETE events without tenant_id), not an
            # isolation hole. cdc's migration sets REPLICA IDENTITY USING INDEX <table>_tenant_id_key.
            add("medium", "REPLICA_IDENTITY_DROPS_TENANT",
                f"the replica identity of {name} ({_IDENTITY_NAMES[info.replica_identity]}) does not include "
                f"{column}: DELETE/UPDATE change events will not say which tenant they belong to")
        for trigger in info.triggers:
            if trigger["enabled"] == "D":
                add("low", "TRIGGER_DISABLED", f"trigger {trigger['name']} on {name} is disabled")
    return findings


_IDENTITY_NAMES = {"d": "DEFAULT (primary key)", "i": "USING INDEX", "n": "NOTHING", "f": "FULL"}


def _policy_findings(table: str, column: str, policy: PolicyInfo, declared: DeclaredTable | None,
                     expected: dict[str, PolicyInfo] | None) -> list[Finding]:
    findings: list[Finding] = []
    subject = f"{table}.{policy.name}"
    is_declared = declared is not None and policy.name == declared.policy
    expressions = [e for e in (policy.using, policy.with_check) if e is not None]
    if any(e.strip("() ").lower() == "true" for e in expressions) or not expressions:
        findings.append(Finding("critical", "POLICY_ALLOWS_ALL", subject,
                                f"policy {policy.name} on {table} has a USING/WITH CHECK of true (or none)"))
    elif not all(sql.mentions_tenant(e, column) for e in expressions):
        findings.append(Finding("critical" if policy.permissive else "medium", "POLICY_WITHOUT_TENANT", subject,
                                f"policy {policy.name} on {table} has an expression without the tenant "
                                f"predicate on {column}"))
    if policy.permissive and any(sql.ors_another_condition(e) for e in expressions):
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


def _replication_write_findings(tables: dict[str, TableInfo], sequences: list[str], roles: Roles) -> list[Finding]:
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


def _grant_findings(table: str, info: TableInfo, roles: Roles) -> list[Finding]:
    findings: list[Finding] = []
    app_expected = {p.strip() for p in TABLE_PRIVILEGES["app"].split(",")}
    app = set(info.effective.get("app", []))
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
    known = {roles.app, roles.replication, roles.resolver, "PUBLIC"}
    for grantee in sorted(set(info.grants) | set(info.column_grants)):
        if grantee not in known:
            findings.append(Finding("high", "UNEXPECTED_GRANTEE", table,
                                    f"{grantee} has privileges on tenant table {table}"))
    if info.grants.get(roles.resolver):
        findings.append(Finding("high", "RESOLVER_TABLE_GRANT", table,
                                f"the resolver role {roles.resolver} has table-wide "
                                f"{', '.join(info.grants[roles.resolver])} on {table} (columns only expected)"))
    return findings


def _role_findings(infos: list[RoleInfo], roles: Roles, settings: list[dict[str, Any]], session_tenant: str | None,
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


def _function_findings(functions: list[FunctionInfo]) -> list[Finding]:
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


def _schema_findings(cursor: Any, roles: Roles) -> list[Finding]:
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


# --------------------------------------------------------------------------- rendering

def render_text(report: AuditReport) -> str:
    """The human-readable report: per table, per role, functions, then findings."""
    lines = [f"rls_audit of database {report.database} as {report.auditor} (PostgreSQL {report.server_version})", ""]
    for table in report.tables:
        if not table.tenant_scoped:
            continue
        lines.append(f"TABLE {table.name}  owner={table.owner} rls={'on' if table.rls_enabled else 'OFF'} "
                     f"force={'on' if table.rls_forced else 'OFF'} replica_identity="
                     f"{_IDENTITY_NAMES[table.replica_identity]}{table.replica_identity_columns or ''} "
                     f"publications={','.join(table.publications) or '-'}")
        for policy in table.policies:
            lines.append(f"  policy {policy.name}: {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'} "
                         f"FOR {policy.command} TO {','.join(policy.roles)}")
            lines.append(f"    USING {policy.using}")
            lines.append(f"    WITH CHECK {policy.with_check}")
        for grantee, privileges in sorted(table.grants.items()):
            lines.append(f"  grant {grantee}: {', '.join(privileges)}")
        for grantee, privileges in sorted(table.column_grants.items()):
            lines.append(f"  column grant {grantee}: {', '.join(privileges)}")
        triggers = ", ".join(f"{t['name']}{'' if t['enabled'] != 'D' else ' (DISABLED)'}" for t in table.triggers)
        lines.append(f"  triggers: {triggers or '-'}")
    lines.append("")
    for role in report.roles:
        attrs = [name for name in ("superuser", "bypassrls", "replication", "createrole", "createdb", "login")
                 if getattr(role, name)]
        lines.append(f"ROLE {role.name} ({role.key or 'other'}): {' '.join(attrs) or '-'}"
                     f"{'' if role.exists else ' MISSING'} member_of={','.join(role.member_of) or '-'} "
                     f"defaults={','.join(role.settings) or '-'}")
    for entry in report.role_settings:
        lines.append(f"SETTINGS {entry['database']}/{entry['role']}: {', '.join(entry['settings'])}")
    for function in report.security_definer_functions:
        lines.append(f"SECURITY DEFINER {function.signature} owner={function.owner} "
                     f"search_path={'fixed' if function.search_path_fixed else 'NOT FIXED'} "
                     f"execute={','.join(function.executable_by)}")
    lines += ["", "FINDINGS"]
    for finding in report.findings:
        lines.append(f"  [{finding.severity.upper()}] {finding.code} {finding.subject}: {finding.message}")
    if not report.findings:
        lines.append("  none")
    counts = report.counts()
    lines.append("")
    lines.append("summary: " + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
                 + ("  -> PASS" if not report.blocking else "  -> FAIL"))
    return "\n".join(lines) + "\n"


def policy_script(report: AuditReport, roles: Roles | None = None,
                  declared: list[DeclaredTable] | None = None) -> str:
    """The reviewable DDL: roles, database grants, per-table policies, then the live catalog.

    Parts 1-3 are what ``bootstrap_db`` and the migrations execute (from :mod:`rls.roles`
    and :mod:`rls.sql`), runnable with ``psql -v dbname=... -v app_password=...``. Part 4
    (comments) is what the database reports it has; it makes ``docs/policies.sql`` fail its
    test whenever migrations and declarations part ways. Deterministic: no names of the
    actual database, no versions, everything sorted.
    """
    roles = roles or configured_roles()
    declared = declared if declared is not None else declared_tables()
    out = [
        "-- Tenant isolation DDL of lakehouse-source, generated by `python manage.py rls_audit --sql`.",
        "-- Do not edit: regenerate (see docs/SECURITY.md). Run with psql -v dbname=... -v owner_password=...",
        "-- -v app_password=... -v replication_password=...",
        "",
        "-- Part 1: cluster-wide roles (rls.roles.role_statements)",
        sql.script(role_statements(roles, passwords=None)),
        "-- Part 2: database, schema and default privileges; tenant resolver (rls.roles.database_statements)",
        sql.script(database_statements(roles, _DBNAME_SENTINEL)).replace(sql.qn(_DBNAME_SENTINEL),
                                                                         DBNAME_PLACEHOLDER),
        "-- Part 3: per tenant table: ENABLE + FORCE RLS, the tenant policy, composite tenant foreign keys",
        "-- (rls.sql; applied by the migrations)",
    ]
    for table in declared:
        out.append(f"-- {table.table}")
        out.append(sql.script(table.policy_statements() + list(table.foreign_key_statements)).rstrip("\n"))
    out.append(sql.script(resolver_grant_statements(roles)))
    out.append("-- Part 4: the live catalog after migrate, as PostgreSQL stores it (pg_policies, ACLs)")
    out.append("-- database: " + "; ".join(report.database_acl))
    out.append("-- schemas: " + "; ".join(report.schema_acl))
    for table in report.tables:
        if not table.tenant_scoped:
            continue
        out.append(f"-- table {table.name}: owner {table.owner}, row security "
                   f"{'enabled' if table.rls_enabled else 'DISABLED'}, "
                   f"{'forced' if table.rls_forced else 'NOT forced'}")
        for policy in table.policies:
            out.append(f"--   policy {policy.name} {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'} "
                       f"FOR {policy.command} TO {','.join(policy.roles)}")
            out.append(f"--     USING      {policy.using}")
            out.append(f"--     WITH CHECK {policy.with_check}")
        grants = defaultdict(list)
        for grantee, privileges in table.grants.items():
            grants[grantee] += sorted(privileges)
        for grantee, privileges in table.column_grants.items():
            grants[grantee] += sorted(privileges)
        for grantee in sorted(grants):
            out.append(f"--   grant {grantee}: {', '.join(grants[grantee])}")
        for name in sorted(table.foreign_keys):
            out.append(f"--   {name}: {table.foreign_keys[name]}")
    for function in report.security_definer_functions:
        out.append(f"-- SECURITY DEFINER {function.signature}: owner {function.owner}, "
                   f"{', '.join(function.config) or 'no settings'}, EXECUTE to {', '.join(function.executable_by)}")
    return "\n".join(out).rstrip("\n") + "\n"


__all__ = [
    "AuditReport", "DeclaredTable", "Finding", "audit", "declared_tables",
    "policy_script", "render_text",
]
