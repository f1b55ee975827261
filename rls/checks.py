"""System checks: refuse a runtime connection that could bypass tenant isolation.

Registered under ``Tags.database`` and run for the aliases Django passes in ``databases``:
``manage.py check --database default``, ``migrate`` (for its target) and the test runner.
Each runtime alias is judged by reading the live catalog through it, never by trusting the
Python side. The migration alias (``rls.conf.migration_database()``, the owner role) is
skipped: it owns the tables by design, and migrating is how a database gets its policies.

``migrate`` through any other alias is refused before it changes anything
(:func:`refuse_migrate_as_non_owner`, connected to ``pre_migrate`` by ``rls.apps``): tables
must belong to the owner role, never to the runtime role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import checks
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections, transaction

from rls import conf
from rls.constraints import tenant_policy_of, tenant_scoped_models
from rls.predicate import is_tenant_predicate
from rls.sql import ors_another_condition, tenant_predicate

ROLE_SQL = """
SELECT current_user, r.rolsuper, r.rolbypassrls
FROM pg_roles r WHERE r.rolname = current_user
"""

TABLE_SQL = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       pg_get_userbyid(c.relowner) AS owner,
       pg_has_role(current_user, c.relowner, 'MEMBER') AS runtime_is_owner,
       (SELECT coalesce(json_agg(json_build_object('name', p.policyname, 'permissive', p.permissive,
                                                   'using', p.qual, 'check', p.with_check)), '[]'::json)
        FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)
"""


def runtime_findings(using: str = DEFAULT_DB_ALIAS) -> list[checks.CheckMessage]:
    """Everything wrong with the runtime connection and the tenant tables, as check messages."""
    models = tenant_scoped_models()
    expected = {model._meta.db_table: tenant_policy_of(model) for model in models}
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(ROLE_SQL)
            user, is_super, bypass = cursor.fetchone()
            cursor.execute(TABLE_SQL, [list(expected)])
            tables = {row[0]: row[1:] for row in cursor.fetchall()}
            problems = {
                table: _condition_problem(cursor, table, stored, expected[table].column)  # type: ignore[union-attr]
                for table, (*_, policies) in tables.items() if expected[table] is not None
                for stored in policies if stored["name"] == expected[table].name  # type: ignore[union-attr]
            }
    except OperationalError:
        raise  # the server is unreachable: the command stops with that sentence, not a warning
    except DatabaseError as exc:
        return [checks.Warning(
            f"Could not inspect the database for RLS checks: {exc}".strip(),
            hint="Start the database (python manage.py dbserver start) and run bootstrap_db.",
            id="rls.W001",
        )]
    found: list[checks.CheckMessage] = []
    if is_super:
        found.append(checks.Error(
            f"The runtime connection '{using}' is the superuser {user!r}: superusers bypass RLS.",
            hint="Point DATABASE_URL at the unprivileged app role (python manage.py dburl --role app).",
            id="rls.E001",
        ))
    if bypass:
        found.append(checks.Error(
            f"The runtime role {user!r} has BYPASSRLS.", hint="ALTER ROLE ... NOBYPASSRLS, or rerun bootstrap_db.",
            id="rls.E002",
        ))
    missing = [table for table in expected if table not in tables]
    if missing:
        found.append(checks.Warning(
            f"Tenant tables not created yet: {', '.join(sorted(missing))}.",
            hint="Run python manage.py migrate --database owner.", id="rls.W002",
        ))
    for table, (enabled, forced, owner, runtime_is_owner, policies) in sorted(tables.items()):
        if runtime_is_owner:
            found.append(checks.Error(
                f"The runtime role {user!r} owns (or is a member of the owner {owner!r} of) table {table!r}.",
                hint="Tables belong to the owner role; the app role must not be a member of it.",
                id="rls.E003",
            ))
        if not enabled or not forced:
            found.append(checks.Error(
                f"Table {table!r} does not have row level security ENABLED and FORCED "
                f"(enabled={enabled}, forced={forced}).",
                hint="Run python manage.py migrate --database owner; never ALTER TABLE ... DISABLE ROW LEVEL SECURITY.",
                id="rls.E004",
            ))
        policy = expected[table]
        stored = {p["name"]: p for p in policies}  # psycopg2 decodes the json
        if policy is not None and policy.name not in stored:
            found.append(checks.Error(
                f"Table {table!r} lacks its tenant policy {policy.name!r}.",
                hint="Run python manage.py migrate --database owner.", id="rls.E005",
            ))
        elif policy is not None:
            problem = problems.get(table)
            if problem:
                found.append(checks.Error(
                    f"The tenant policy {policy.name!r} on {table!r} {problem}.",
                    hint="Run python manage.py rls_audit for details; the migrations create the right policy.",
                    id="rls.E006",
                ))
        for name, other in sorted(stored.items()):
            if (policy is None or name != policy.name) and other["permissive"] == "PERMISSIVE":
                found.append(checks.Error(
                    f"Table {table!r} has another permissive policy {name!r}: permissive policies are ORed, "
                    "so it can let other tenants' rows through.",
                    hint="Drop it, or make it AS RESTRICTIVE.", id="rls.E007",
                ))
    return found


def _condition_problem(cursor: Any, table: str, policy: dict[str, Any], column: str) -> str | None:
    """Why a stored policy is not the tenant predicate in both USING and WITH CHECK (None: it is).

    The decision is :func:`rls.predicate.is_tenant_predicate`; the OR test only words the message.
    """
    for clause, expression in (("USING", policy["using"]), ("WITH CHECK", policy["check"])):
        if expression is None:
            return f"has no {clause}"
        if is_tenant_predicate(cursor, table, expression, column):
            continue
        if ors_another_condition(expression):
            return f"ORs another condition into its {clause}"
        return f"has a {clause} that is not the tenant predicate {tenant_predicate(column)}: {expression}"
    return None


def runtime_aliases(databases: Iterable[str] | None) -> list[str]:
    """The aliases to judge as runtime connections: those asked for, minus the migration alias."""
    return [alias for alias in databases or () if alias != conf.migration_database()]


@checks.register("rls", checks.Tags.database)
def check_rls(app_configs: Any = None, databases: Iterable[str] | None = None,
              **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for alias in runtime_aliases(databases):
        found += runtime_findings(alias)
    return found


def refuse_migrate_as_non_owner(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """``pre_migrate`` receiver: migrations run through the migration alias only, before anything changes."""
    target = conf.migration_database()
    if using != target and target in connections.settings:
        raise CommandError(
            f"Migrations must run as the owner role: run python manage.py migrate --database {target} "
            f"(the {using!r} alias is a runtime role, and tables it created would not belong to the owner).")
