"""The audit report as text for a reviewer."""

from __future__ import annotations

from rls.audit.catalog import SEVERITIES, AuditReport
from rls.audit.rules import IDENTITY_NAMES

# --------------------------------------------------------------------------- rendering

def render_text(report: AuditReport) -> str:
    """The human-readable report: per table, per role, functions, then findings."""
    lines = [f"rls_audit of database {report.database} as {report.auditor} (PostgreSQL {report.server_version})", ""]
    for table in report.tables:
        if not table.tenant_scoped:
            continue
        lines.append(f"TABLE {table.name}  owner={table.owner} rls={'on' if table.rls_enabled else 'OFF'} "
                     f"force={'on' if table.rls_forced else 'OFF'} replica_identity="
                     f"{IDENTITY_NAMES[table.replica_identity]}{table.replica_identity_columns or ''} "
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


