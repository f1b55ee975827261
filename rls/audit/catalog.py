"""What the audit reads: snapshots of the catalog, the SQL that reads them, and the declarations.

Pure reads inside the audit's one rolled-back transaction; no judgement happens here
(that is :mod:`rls.audit.rules`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rls import sql
from rls.constraints import TenantForeignKeyConstraint, tenant_policy_of, tenant_scoped_models
from rls.predicate import is_tenant_predicate
from rls.roles import (
    Roles,
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
DBNAME_SENTINEL = "__rls_audit_dbname__"
PROBE_TABLE = "rls_audit_probe"


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
    #: Whether USING / WITH CHECK is the tenant predicate (:func:`rls.predicate.is_tenant_predicate`);
    #: None when not judged (the expected policies of the probe).
    using_is_tenant: bool | None = None
    check_is_tenant: bool | None = None

    def not_tenant_predicate(self) -> list[str]:
        """The stored conditions that were judged not to be the tenant predicate."""
        return [expression for expression, judged in ((self.using, self.using_is_tenant),
                                                      (self.with_check, self.check_is_tenant))
                if expression is not None and judged is False]


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


def rows(cursor: Any, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    cursor.execute(query, params or {"schema": SCHEMA})
    return list(cursor.fetchall())


def table_privileges(version: int) -> list[str]:
    privileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
    return privileges + (["MAINTAIN"] if version >= 170000 else [])


def effective_privileges(cursor: Any, role: str, tables: list[str], version: int) -> dict[str, list[str]]:
    """Privileges ``role`` really has (through PUBLIC and memberships too), per table."""
    if not tables:
        return {}
    privileges = table_privileges(version)
    cursor.execute(
        "SELECT t, ARRAY(SELECT p FROM unnest(%(privs)s::text[]) p "
        "WHERE has_table_privilege(%(role)s, quote_ident(%(schema)s) || '.' || quote_ident(t), p) ORDER BY p) "
        "FROM unnest(%(tables)s::text[]) t",
        {"privs": privileges, "role": role, "schema": SCHEMA, "tables": tables},
    )
    return {table: list(privs) for table, privs in cursor.fetchall()}


def expected_policies(cursor: Any, declared: list[DeclaredTable]) -> dict[str, PolicyInfo]:
    """PostgreSQL's own deparse of each declared policy, made on a TEMP probe table."""
    expected: dict[str, PolicyInfo] = {}
    cursor.execute("SAVEPOINT rls_audit_probe")
    try:
        for column in sorted({d.column for d in declared}):
            probe = f"{PROBE_TABLE}_{len(expected)}"
            cursor.execute(f"CREATE TEMP TABLE {sql.qn(probe)} ({sql.qn(column)} uuid)")
            for statement in sql.enable_rls_statements(probe, PROBE_TABLE, column)[2:]:
                cursor.execute(statement)
            cursor.execute(
                "SELECT permissive = 'PERMISSIVE', cmd, roles::text[], qual, with_check FROM pg_policies "
                "WHERE tablename = %s AND schemaname LIKE 'pg_temp%%'", [probe],
            )
            permissive, command, roles, using, check = cursor.fetchone()
            expected[column] = PolicyInfo(PROBE_TABLE, permissive, command, list(roles), using, check)
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT rls_audit_probe")
    return {d.table: renamed(expected[d.column], d.policy) for d in declared}


def judge_tenant_predicates(cursor: Any, tables: dict[str, TableInfo]) -> None:
    """Mark each policy condition of the tenant tables as the tenant predicate or not (the one rule)."""
    for name, info in tables.items():
        if not info.tenant_scoped:
            continue
        column = info.policy_column or sql.DEFAULT_TENANT_COLUMN
        for policy in info.policies:
            policy.using_is_tenant = is_tenant_predicate(cursor, name, policy.using, column)
            policy.check_is_tenant = is_tenant_predicate(cursor, name, policy.with_check, column)


def renamed(policy: PolicyInfo, name: str) -> PolicyInfo:
    return PolicyInfo(name, policy.permissive, policy.command, policy.roles, policy.using, policy.with_check)



def read_role_infos(rows: list[tuple[Any, ...]], roles: Roles) -> list[RoleInfo]:
    keys = {roles[k]: k for k in ("owner", "app", "replication", "resolver")}
    found = {row[0]: RoleInfo(row[0], keys.get(row[0]), True, *row[1:7], list(row[7]), list(row[8]))
             for row in rows}
    for name, key in keys.items():
        found.setdefault(name, RoleInfo(name, key, False))
    return [found[name] for name in sorted(found)]


