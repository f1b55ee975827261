"""``rls_audit`` on a freshly migrated database, and on the same database broken on purpose.

Everything happens in a private scratch database (created by the admin, migrated by the
owner in a subprocess), so other suites running on the same server are never affected.
Roles are cluster-wide and shared, so role defaults are only ever changed ``IN DATABASE``
the scratch database, and grants only on the scratch database's tables.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from project.bootstrap import drop_database, ensure_database, ensure_roles
from project.database import BASE_DIR, connect
from rls import sql
from rls.audit import audit, declared_tables
from rls.roles import configured_roles
from tests.support import execute_as

#: Also run on PostgreSQL 15 (make test-pg15): the deparse the drift check relies on is per version.
pytestmark = pytest.mark.rls

POLICIES_SQL = BASE_DIR / "docs" / "policies.sql"


def migrated_scratch_database(name: str) -> None:
    """Create ``name`` afresh and migrate it as the owner, exactly as ``make demo`` does."""
    ensure_roles()
    ensure_database(name, fresh=True)
    env = {**os.environ, "DATABASE_NAME": name}
    subprocess.run([sys.executable, "manage.py", "migrate", "--database", "owner", "-v", "0"], cwd=BASE_DIR, env=env,
                   check=True, timeout=300)


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    name = f"scratch_audit_{os.getpid()}"
    migrated_scratch_database(name)
    try:
        yield name
    finally:
        drop_database(name)


def run_audit(database: str, *flags: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("rls_audit", *flags, database=database, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def admin_execute(database: str, *statements: str) -> None:
    execute_as("admin", database, *statements)


def test_fresh_database_passes_with_no_high_finding(scratch: str) -> None:
    output, error = run_audit(scratch, "--json")
    assert error is None, output
    report = json.loads(output)
    severities = {finding["severity"] for finding in report["findings"]}
    assert not severities & {"critical", "high"}
    assert report["summary"]["passed"] is True
    tables = {t["name"]: t for t in report["tables"]}
    for declared in declared_tables():
        table = tables[declared.table]
        assert table["rls_enabled"] and table["rls_forced"]
        assert [p["name"] for p in table["policies"]] == [declared.policy]
    # The drift check really ran: no DRIFT_UNVERIFIED, and the live deparse mentions the setting.
    assert all(sql.TENANT_SETTING in p["using"] for t in tables.values() for p in t["policies"])
    print("fresh-db audit counts:", report["summary"]["counts"])


def test_text_output_ends_with_a_pass_summary(scratch: str) -> None:
    output, error = run_audit(scratch)
    assert error is None
    assert output.rstrip().endswith("-> PASS")
    assert "tenancy_resolve_tenant" in output


def test_docs_policies_sql_matches_a_freshly_migrated_database(scratch: str) -> None:
    output, error = run_audit(scratch, "--sql")
    assert error is None
    assert scratch not in output  # the database name is a psql variable, never the real name
    assert POLICIES_SQL.exists(), "docs/policies.sql is missing: python manage.py rls_audit --sql > docs/policies.sql"
    assert output == POLICIES_SQL.read_text(), (
        "docs/policies.sql differs from what a freshly migrated database produces; review the change and "
        "regenerate it with: python manage.py rls_audit --sql > docs/policies.sql"
    )


def test_a_role_that_cannot_build_the_probe_fails_closed(scratch: str) -> None:
    conn = connect("replication", dbname=scratch)  # no TEMPORARY privilege, on purpose
    try:
        report = audit(conn)
    finally:
        conn.close()
    assert "DRIFT_UNVERIFIED" in {finding.code for finding in report.blocking}


ROLES = configured_roles()
TENANT = str(uuid.UUID(int=1))
PREDICATE = sql.tenant_predicate()


def _variants(database_placeholder: str = "{db}") -> list[tuple[str, list[str], list[str], set[str]]]:
    """(id, break statements, undo statements, codes that must be reported as high/critical)."""
    app, repl, owner = sql.qn(ROLES.app), sql.qn(ROLES.replication), sql.qn(ROLES.owner)
    customer = "models_app_customer_tenant_isolation"
    order = "models_app_order_tenant_isolation"
    return [
        ("rls-off", ["ALTER TABLE models_app_customer DISABLE ROW LEVEL SECURITY"],
         ["ALTER TABLE models_app_customer ENABLE ROW LEVEL SECURITY"], {"RLS_DISABLED"}),
        ("rls-not-forced", ["ALTER TABLE models_app_order NO FORCE ROW LEVEL SECURITY"],
         ["ALTER TABLE models_app_order FORCE ROW LEVEL SECURITY"], {"RLS_NOT_FORCED"}),
        ("policy-without-with-check",
         [f"DROP POLICY {customer} ON models_app_customer",
          f"CREATE POLICY {customer} ON models_app_customer FOR ALL TO PUBLIC USING ({PREDICATE})"],
         [f"DROP POLICY {customer} ON models_app_customer",
          sql.enable_rls_statements("models_app_customer", customer)[2]],
         {"POLICY_WITHOUT_CHECK", "POLICY_DRIFT"}),
        ("policy-true", [f"ALTER POLICY {customer} ON models_app_customer USING (true)"],
         [f"ALTER POLICY {customer} ON models_app_customer USING ({PREDICATE})"],
         {"POLICY_ALLOWS_ALL", "POLICY_DRIFT"}),
        ("policy-or-bypass",
         [f"ALTER POLICY {customer} ON models_app_customer USING "
          f"({PREDICATE} OR current_setting('app.bypass', true) = 'on')"],
         [f"ALTER POLICY {customer} ON models_app_customer USING ({PREDICATE})"],
         {"POLICY_OR_BYPASS", "POLICY_DRIFT"}),
        ("extra-permissive-policy",
         ["CREATE POLICY backdoor ON models_app_invoice FOR SELECT USING (true)"],
         ["DROP POLICY backdoor ON models_app_invoice"], {"EXTRA_PERMISSIVE_POLICY"}),
        ("app-truncate", [f"GRANT TRUNCATE ON models_app_order TO {app}"],
         [f"REVOKE TRUNCATE ON models_app_order FROM {app}"], {"APP_DANGEROUS_GRANT"}),
        ("public-select", ["GRANT SELECT ON models_app_product TO PUBLIC"],
         ["REVOKE SELECT ON models_app_product FROM PUBLIC"], {"PUBLIC_GRANT"}),
        ("secdef-without-search-path",
         ["CREATE FUNCTION public.count_all_customers() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
          "AS 'SELECT count(*) FROM public.models_app_customer'"],
         ["DROP FUNCTION public.count_all_customers()"], {"SECDEF_SEARCH_PATH", "SECDEF_PUBLIC_EXECUTE"}),
        ("role-default-tenant",
         [f"ALTER ROLE {app} IN DATABASE {database_placeholder} SET app.tenant_id = '{TENANT}'"],
         [f"ALTER ROLE {app} IN DATABASE {database_placeholder} RESET app.tenant_id"], {"TENANT_DEFAULT"}),
        ("database-default-tenant",
         [f"ALTER DATABASE {database_placeholder} SET app.tenant_id = '{TENANT}'"],
         [f"ALTER DATABASE {database_placeholder} RESET app.tenant_id"], {"TENANT_DEFAULT"}),
        ("replication-write", [f"GRANT INSERT, UPDATE ON models_app_event TO {repl}"],
         [f"REVOKE INSERT, UPDATE ON models_app_event FROM {repl}"], {"REPLICATION_WRITE_GRANT"}),
        ("undeclared-tenant-table", ["CREATE TABLE public.shadow_orders (id bigint PRIMARY KEY, tenant_id uuid)"],
         ["DROP TABLE public.shadow_orders"], {"UNDECLARED_TENANT_TABLE", "RLS_DISABLED"}),
        ("policy-without-tenant", [f"ALTER POLICY {order} ON models_app_order USING (total >= 0)"],
         [f"ALTER POLICY {order} ON models_app_order USING ({PREDICATE})"], {"POLICY_WITHOUT_TENANT", "POLICY_DRIFT"}),
        ("app-references-trigger", [f"GRANT REFERENCES, TRIGGER ON models_app_invoice TO {app}"],
         [f"REVOKE REFERENCES, TRIGGER ON models_app_invoice FROM {app}"], {"APP_DANGEROUS_GRANT"}),
        ("app-owns-a-table", [f"ALTER TABLE models_app_product OWNER TO {app}"],
         [f"ALTER TABLE models_app_product OWNER TO {owner}"], {"WRONG_OWNER"}),
        ("no-primary-key", ["ALTER TABLE models_app_invoice DROP CONSTRAINT models_app_invoice_pkey"],
         ["ALTER TABLE models_app_invoice ADD CONSTRAINT models_app_invoice_pkey PRIMARY KEY (id)"],
         {"NO_PRIMARY_KEY"}),
        ("secdef-public-execute",
         ["CREATE FUNCTION public.count_all_products() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
          "SET search_path = pg_catalog, public AS 'SELECT count(*) FROM public.models_app_product'"],
         ["DROP FUNCTION public.count_all_products()"], {"SECDEF_PUBLIC_EXECUTE"}),
        ("replication-writes-a-django-table", [f"GRANT INSERT ON django_migrations TO {repl}"],
         [f"REVOKE INSERT ON django_migrations FROM {repl}"], {"REPLICATION_WRITE_GRANT"}),
        ("replication-setval", [f"GRANT UPDATE ON SEQUENCE auth_user_id_seq TO {repl}"],
         [f"REVOKE UPDATE ON SEQUENCE auth_user_id_seq FROM {repl}"], {"REPLICATION_WRITE_GRANT"}),
    ]


@pytest.mark.parametrize(("name", "breaks", "undo", "codes"), _variants(), ids=[v[0] for v in _variants()])
def test_each_broken_variant_fails_the_audit(scratch: str, name: str, breaks: list[str], undo: list[str],
                                             codes: set[str]) -> None:
    db = sql.qn(scratch)
    admin_execute(scratch, *(statement.format(db=db) for statement in breaks))
    try:
        output, error = run_audit(scratch, "--json")
    finally:
        admin_execute(scratch, *(statement.format(db=db) for statement in undo))
    assert error is not None, f"{name}: rls_audit exited 0 on a broken database"
    report = json.loads(output)
    blocking = {f["code"] for f in report["findings"] if f["severity"] in {"critical", "high"}}
    assert codes <= blocking, f"{name}: expected {codes}, got {blocking}"
    assert all(code in str(error) for code in codes)
    # The undo restored a passing database, so the next variant starts clean.
    conn = connect("owner", dbname=scratch)
    try:
        assert not audit(conn).blocking
    finally:
        conn.close()


def test_policies_sql_is_deterministic_text() -> None:
    text = Path(POLICIES_SQL).read_text() if POLICIES_SQL.exists() else ""
    assert ':"dbname"' in text and ":'app_password'" in text
    assert "app-dev-password" not in text


def test_replica_identity_without_tenant_is_reported_but_does_not_gate(scratch: str) -> None:
    # Medium by design: a CDC completeness gap (DELETE events without tenant_id), not an isolation hole.
    admin_execute(scratch, "ALTER TABLE models_app_order REPLICA IDENTITY DEFAULT")
    try:
        output, error = run_audit(scratch, "--json")
    finally:
        admin_execute(scratch, "ALTER TABLE models_app_order REPLICA IDENTITY USING INDEX "
                               "models_app_order_tenant_id_key")
    assert error is None
    findings = [(f["severity"], f["code"], f["subject"]) for f in json.loads(output)["findings"]]
    assert ("medium", "REPLICA_IDENTITY_DROPS_TENANT", "models_app_order") in findings


@pytest.mark.parametrize(("key", "attributes", "member_of_owner", "code"), [
    ("app", "LOGIN BYPASSRLS", False, "APP_BYPASSRLS"),
    ("app", "LOGIN", True, "APP_MEMBER_OF_OWNER"),
    ("replication", "LOGIN REPLICATION", False, "REPLICATION_NO_BYPASSRLS"),
    ("replication", "LOGIN REPLICATION BYPASSRLS", True, "REPLICATION_MEMBERSHIP"),
], ids=["app-bypassrls", "app-member-of-owner", "replication-without-bypassrls", "replication-member-of-owner"])
def test_role_findings_on_scratch_roles(scratch: str, key: str, attributes: str, member_of_owner: bool,
                                        code: str) -> None:
    """Role attributes are cluster-wide: a scratch role stands in for the real one, never the real one altered."""
    name = f"scratch_{key}_{uuid.uuid4().hex[:8]}"
    statements = [f"CREATE ROLE {sql.qn(name)} {attributes}"]
    if member_of_owner:
        statements.append(f"GRANT {sql.qn(ROLES.owner)} TO {sql.qn(name)}")
    admin_execute(scratch, *statements)
    try:
        conn = connect("owner", dbname=scratch)
        try:
            report = audit(conn, roles=dataclasses.replace(ROLES, **{key: name}))
        finally:
            conn.close()
    finally:
        admin_execute(scratch, f"DROP ROLE {sql.qn(name)}")
    assert code in {finding.code for finding in report.blocking}, [f.code for f in report.findings]
