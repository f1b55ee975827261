"""The system checks catch a runtime connection that could bypass RLS, and unprotected tables."""

from __future__ import annotations

import copy
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import checks
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connections, transaction

from project.bootstrap import drop_database, ensure_database
from project.database import connect, server_address
from rls import sql
from rls.audit import audit
from rls.checks import check_rls, runtime_findings
from rls.predicate import is_tenant_predicate
from tests.support import execute_as

pytestmark = [pytest.mark.rls]
ROOT = Path(__file__).resolve().parents[2]


def _ids(findings) -> set[str]:
    return {finding.id for finding in findings}


@pytest.fixture
def extra_alias(django_db_setup):
    """Register a temporary database alias with other credentials (for probing the checks)."""
    added: list[str] = []

    def make(alias: str, **overrides: object) -> str:
        connections.settings[alias] = {**copy.deepcopy(connections.settings["default"]), **overrides}
        added.append(alias)
        return alias

    yield make
    for alias in added:
        connections[alias].close()
        del connections.settings[alias]
        if hasattr(connections._connections, alias):
            delattr(connections._connections, alias)


def test_owner_as_runtime_connection_is_an_error(django_db_setup, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        findings = runtime_findings(using="owner")
        connections["owner"].close()
    assert "rls.E003" in _ids(findings)


def test_superuser_as_runtime_connection_is_an_error(extra_alias, django_db_blocker) -> None:
    address = server_address()
    if not address.admin_password:
        pytest.skip("no admin credentials for this server")
    alias = extra_alias("probe_admin", USER=address.admin_user, PASSWORD=address.admin_password)
    with django_db_blocker.unblock():
        assert "rls.E001" in _ids(runtime_findings(using=alias))


@pytest.fixture
def migrated_scratch(extra_alias) -> Iterator[tuple[str, str]]:
    """A freshly migrated scratch database (name, Django alias as the app role), dropped afterwards."""
    name = f"scratch_chk_{uuid.uuid4().hex[:8]}"
    ensure_database(name, fresh=True)
    try:
        env = {**os.environ, "DATABASE_NAME": name}
        subprocess.run([sys.executable, "manage.py", "migrate", "--database", "owner", "-v", "0"], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=300)
        yield name, extra_alias(f"probe_{name}", NAME=name)
    finally:
        drop_database(name)


def _findings_of(alias: str, django_db_blocker) -> dict[str, list[str]]:
    with django_db_blocker.unblock():
        findings = runtime_findings(using=alias)
        connections[alias].close()
    messages: dict[str, list[str]] = {}
    for finding in findings:
        messages.setdefault(finding.id, []).append(finding.msg)
    return messages


def test_a_table_without_forced_rls_is_an_error(migrated_scratch, django_db_blocker) -> None:
    name, alias = migrated_scratch
    execute_as("owner", name, "ALTER TABLE models_app_event NO FORCE ROW LEVEL SECURITY",
               "DROP POLICY models_app_order_tenant_isolation ON models_app_order")
    messages = _findings_of(alias, django_db_blocker)
    assert any("models_app_event" in m for m in messages.get("rls.E004", []))
    assert any("models_app_order" in m and "policy" in m for m in messages.get("rls.E005", []))


def test_a_weakened_or_bypassed_policy_is_an_error(migrated_scratch, django_db_blocker) -> None:
    """``manage.py check`` reads the stored conditions, not only the policy names."""
    name, alias = migrated_scratch
    before = _findings_of(alias, django_db_blocker)
    assert "rls.E006" not in before and "rls.E007" not in before
    execute_as("owner", name,
               "ALTER POLICY models_app_order_tenant_isolation ON models_app_order USING (true)",
               "ALTER POLICY models_app_customer_tenant_isolation ON models_app_customer WITH CHECK "
               "(tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid) "
               "OR current_setting('app.bypass', true) = 'on')",
               "CREATE POLICY backdoor ON models_app_invoice FOR SELECT USING (true)")
    messages = _findings_of(alias, django_db_blocker)
    assert any("models_app_order" in m and "USING" in m for m in messages.get("rls.E006", []))
    assert any("models_app_customer" in m and "ORs" in m for m in messages.get("rls.E006", []))
    assert any("models_app_invoice" in m and "backdoor" in m for m in messages.get("rls.E007", []))


#: The attack the old substring rule let through: it names the column and the setting, and has no OR.
NEGATED = "tenant_id <> (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"


def test_a_negated_tenant_predicate_is_caught_by_the_check_and_the_audit(migrated_scratch, django_db_blocker) -> None:
    """One rule (rls.predicate) decides for both: ``tenant_id <> current`` shows every *other* tenant."""
    name, alias = migrated_scratch
    execute_as("owner", name, f"ALTER POLICY models_app_order_tenant_isolation ON models_app_order USING ({NEGATED})",
               "ALTER POLICY models_app_customer_tenant_isolation ON models_app_customer "
               f"WITH CHECK ({NEGATED})")
    messages = _findings_of(alias, django_db_blocker)
    assert any("models_app_order" in m and "USING" in m and "not the tenant predicate" in m
               for m in messages.get("rls.E006", [])), messages
    assert any("models_app_customer" in m and "WITH CHECK" in m for m in messages.get("rls.E006", [])), messages
    with django_db_blocker.unblock():
        with pytest.raises(SystemCheckError, match="rls.E006"):
            call_command("check", databases=[alias], stdout=io.StringIO(), stderr=io.StringIO())
        connections[alias].close()
    conn = connect("owner", dbname=name)
    try:
        report = audit(conn)
    finally:
        conn.close()
    flagged = {(f.code, f.subject) for f in report.blocking}
    assert ("POLICY_WITHOUT_TENANT", "models_app_order.models_app_order_tenant_isolation") in flagged
    assert ("POLICY_WITHOUT_TENANT", "models_app_customer.models_app_customer_tenant_isolation") in flagged


def test_the_rule_accepts_the_declared_predicate_and_rejects_look_alikes(django_db_setup, django_db_blocker) -> None:
    predicate = sql.tenant_predicate()
    with django_db_blocker.unblock(), transaction.atomic(), connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_get_expr(polqual, polrelid) FROM pg_policy "
                       "WHERE polrelid = 'models_app_order'::regclass")
        (stored,) = cursor.fetchone()
        assert stored != predicate  # PostgreSQL's spelling differs from ours, the meaning does not
        assert is_tenant_predicate(cursor, "models_app_order", stored)
        assert is_tenant_predicate(cursor, "models_app_order", predicate)
        for other in (NEGATED, f"{predicate} OR true", "true", "tenant_id IS NOT NULL", "no_such_column = 1", None):
            assert not is_tenant_predicate(cursor, "models_app_order", other), other


def test_checks_run_only_for_the_databases_django_asks_about(django_db_setup, django_db_blocker) -> None:
    """``Tags.database``: plain ``check`` (databases=None) reads nothing; the owner alias is never judged."""
    with django_db_blocker.unblock():
        assert check_rls(databases=None) == []
        assert check_rls(databases=["owner"]) == []  # the owner owns the tables by design (rls.E003 otherwise)
        assert check_rls(databases=["default"]) == []
        connections["owner"].close()
    assert any(check is check_rls for check in registry.get_checks() if checks.Tags.database in check.tags)
