"""Security audit of the live database: who can see which tenant's rows, and by what SQL.

The audit reads PostgreSQL's catalogs, never the Python declarations, and then compares
what it found with what :mod:`rls` declares (drift detection). It needs only a DB-API
connection; ``manage.py rls_audit`` opens one as the owner role (see that command for why).

Everything happens in one transaction that is always rolled back: the only thing the audit
ever creates is a TEMP probe table on which it lets PostgreSQL deparse the *expected*
policy, so live and expected expressions are compared in PostgreSQL's own spelling
(``pg_get_expr``) instead of by fragile text normalisation. Whether a condition *is* the
tenant predicate (``POLICY_WITHOUT_TENANT``, ``POLICY_OR_BYPASS``) is decided by
:func:`rls.predicate.is_tenant_predicate`, the rule the system check ``rls.E006`` uses too.

Modules: :mod:`~rls.audit.catalog` reads, :mod:`~rls.audit.rules` judges (severities are
defined there), :mod:`~rls.audit.render` prints, :mod:`~rls.audit.ddl` writes policies.sql.
"""

from __future__ import annotations

from typing import Any

from rls import sql
from rls.audit.catalog import (
    COLUMN_GRANTS_SQL,
    DATABASE_ACL_SQL,
    DATABASE_PRIVILEGES_SQL,
    FOREIGN_KEYS_SQL,
    FUNCTION_EXECUTE_SQL,
    FUNCTIONS_SQL,
    GRANTS_SQL,
    HBA_REPLICATION_SQL,
    NON_TENANT_GRANTS_SQL,
    PASSWORDS_SQL,
    POLICIES_SQL,
    PUBLICATIONS_SQL,
    ROLE_SETTINGS_SQL,
    ROLES_SQL,
    SCHEMA,
    SCHEMA_ACL_SQL,
    SEVERITIES,
    TABLES_SQL,
    TRIGGERS_SQL,
    WRITABLE_SEQUENCES_SQL,
    AuditReport,
    DeclaredTable,
    Finding,
    FunctionInfo,
    PolicyInfo,
    TableInfo,
    declared_tables,
    effective_privileges,
    expected_policies,
    judge_tenant_predicates,
    read_role_infos,
    rows,
    table_privileges,
)
from rls.audit.ddl import policy_script
from rls.audit.render import render_text
from rls.audit.rules import (
    database_privilege_findings,
    django_table_findings,
    function_execute_findings,
    function_findings,
    hba_findings,
    loader_table_findings,
    password_findings,
    policy_role_findings,
    replication_write_findings,
    role_findings,
    role_setting_findings,
    schema_findings,
    table_findings,
    version_findings,
)
from rls.roles import REVOKED_FUNCTIONS, Roles, configured_roles


def audit(connection: Any, roles: Roles | None = None,
          declared: list[DeclaredTable] | None = None, *, admin: Any = None,
          passwords: dict[str, str] | None = None) -> AuditReport:
    """Read the catalog through ``connection`` and return the report with its findings.

    The connection's current transaction is rolled back before and after: the audit
    leaves nothing behind and sees only committed state. ``admin`` (a superuser
    connection, optional) adds what only a superuser can read: SCRAM verifiers (compared
    with ``passwords``, role name -> configured password) and ``pg_hba_file_rules``.
    """
    roles = roles or configured_roles()
    declared = declared if declared is not None else declared_tables()
    connection.rollback()
    previous_autocommit = connection.autocommit
    connection.autocommit = False
    try:
        with connection.cursor() as cursor:
            report = _collect(cursor, roles, declared)
    finally:
        connection.rollback()
        connection.autocommit = previous_autocommit
    report.findings += _superuser_findings(admin, roles, passwords or {})
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    report.findings.sort(key=lambda f: (order[f.severity], f.code, f.subject, f.message))
    return report


def _superuser_findings(admin: Any, roles: Roles, passwords: dict[str, str]) -> list[Finding]:
    if admin is None:
        return [Finding("info", "SUPERUSER_CHECKS_SKIPPED", "audit",
                        "no admin connection: role passwords and pg_hba.conf were not checked")]
    with admin.cursor() as cursor:
        names = [roles[k] for k in ("owner", "app", "replication", "loader", "staff")]
        verifiers = rows(cursor, PASSWORDS_SQL, {"roles": names})
        hba = rows(cursor, HBA_REPLICATION_SQL, {})
    admin.rollback()
    return password_findings(verifiers, passwords) + hba_findings(hba)


def _collect(cursor: Any, roles: Roles, declared: list[DeclaredTable]) -> AuditReport:
    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one consistent snapshot
    cursor.execute("SELECT current_database(), current_user, current_setting('server_version'), "
                   "current_setting('server_version_num')::int, current_setting(%s, true)",
                   [sql.TENANT_SETTING])
    database, auditor, version_text, version, session_tenant = cursor.fetchone()
    findings: list[Finding] = []

    tables = {row[0]: TableInfo(*row) for row in rows(cursor, TABLES_SQL)}
    by_table = {d.table: d for d in declared}
    for d in declared:
        if d.table in tables:
            tables[d.table].declared_policy = d.policy
            tables[d.table].policy_column = d.column
        else:
            findings.append(Finding("critical", "TABLE_MISSING", d.table,
                                    f"tenant table {d.table} declared by rls does not exist (run migrate)"))
    for table, grantee, privilege in rows(cursor, GRANTS_SQL):
        tables[table].grants.setdefault(grantee, []).append(privilege)
    for table, grantee, privilege in rows(cursor, COLUMN_GRANTS_SQL):
        tables[table].column_grants.setdefault(grantee, []).append(privilege)
    for table, name, permissive, command, policy_roles, using, check in rows(cursor, POLICIES_SQL):
        if table in tables:
            tables[table].policies.append(PolicyInfo(name, permissive, command, list(policy_roles), using, check))
    for table, name, enabled, function in rows(cursor, TRIGGERS_SQL):
        tables[table].triggers.append({"name": name, "enabled": enabled, "function": function,
                                       "pgtrigger": name.startswith("pgtrigger_")})
    for table, name, definition in rows(cursor, FOREIGN_KEYS_SQL):
        tables[table].foreign_keys[name] = definition
    for table, publication in rows(cursor, PUBLICATIONS_SQL):
        if table in tables:
            tables[table].publications.append(publication)

    judge_tenant_predicates(cursor, tables)

    role_rows = rows(cursor, ROLES_SQL, {"names": [roles[k] for k in ("owner", "app", "replication", "resolver")]})
    infos = read_role_infos(role_rows, roles)
    existing = {info.name for info in infos if info.exists}
    if roles.app in existing:
        # Every table: tenant tables need their grants, Django's tables must have none (staff role's).
        for table, privileges in effective_privileges(cursor, roles.app, sorted(tables), version).items():
            tables[table].effective["app"] = privileges
    replication_writes: list[str] = []
    if roles.replication in existing:
        # Every table, not only tenant tables: the DMS role must not write anywhere in the schema.
        for table, privileges in effective_privileges(cursor, roles.replication, sorted(tables), version).items():
            tables[table].effective["replication"] = privileges
        replication_writes = [seq for (seq,) in rows(
            cursor, WRITABLE_SEQUENCES_SQL, {"schema": SCHEMA, "role": roles.replication})]
    settings = [{"database": db, "role": role, "settings": list(config), "cluster_wide": cluster}
                for db, role, config, cluster in rows(cursor, ROLE_SETTINGS_SQL)]
    functions = [
        FunctionInfo(signature, owner, any(c.startswith("search_path=") for c in config), list(config), list(execs))
        for signature, owner, config, execs in rows(cursor, FUNCTIONS_SQL)
    ]
    database_acl = [row[0] for row in rows(cursor, DATABASE_ACL_SQL)]
    schema_acl = [row[0] for row in rows(cursor, SCHEMA_ACL_SQL)]

    try:
        expected = expected_policies(cursor, [d for d in declared if d.table in tables], roles)
    except Exception as exc:  # noqa: BLE001 - any failure means drift is unverified: fail closed
        expected = None
        findings.append(Finding("high", "DRIFT_UNVERIFIED", database,
                                f"could not build the expected policies on a TEMP probe table as {auditor}: "
                                f"{str(exc).strip()}; run the audit as the owner role"))

    findings += table_findings(tables, by_table, expected, roles)
    findings += replication_write_findings(tables, replication_writes, roles)
    findings += django_table_findings(tables, roles)
    findings += role_findings(infos, roles, settings, session_tenant, cursor)
    findings += function_findings(functions)
    findings += schema_findings(cursor, roles)
    # Attacker models 2 and 5 (docs/SECURITY.md): what injected SQL or the DMS credential could use.
    serving = [roles.app, roles.loader, roles.replication]
    findings += role_setting_findings(settings, roles)
    findings += policy_role_findings(tables)
    findings += database_privilege_findings(rows(cursor, DATABASE_PRIVILEGES_SQL, {"roles": serving}), roles)
    findings += function_execute_findings(
        rows(cursor, FUNCTION_EXECUTE_SQL, {"roles": serving, "functions": list(REVOKED_FUNCTIONS)}), roles)
    findings += loader_table_findings(rows(cursor, NON_TENANT_GRANTS_SQL, {
        "schema": SCHEMA, "roles": [roles.loader], "privs": table_privileges(version)}), roles)
    findings += version_findings(version)
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.code, f.subject, f.message))
    return AuditReport(database, auditor, version_text, [tables[name] for name in sorted(tables)], infos,
                       functions, settings, database_acl, schema_acl, findings)



__all__ = [
    "AuditReport", "DeclaredTable", "Finding", "audit", "declared_tables",
    "policy_script", "render_text",
]
