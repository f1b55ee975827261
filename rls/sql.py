"""The one module that writes tenant-isolation SQL.

Every policy condition, the session-variable handling and every composite foreign key
comes from here, so migrations, the audit, ``docs/policies.sql`` and the documentation all
print identical SQL. Nothing here touches a connection: functions return strings, and two
predicates read stored policy text back (the audit and the system check share them).
"""

from __future__ import annotations

#: The transaction-local setting the policies read.
TENANT_SETTING = "app.tenant_id"

#: The current tenant, evaluated once per statement (an InitPlan) thanks to the sub-select,
#: so the planner can use ``(tenant_id, ...)`` indexes. ``NULLIF`` turns the empty string
#: that ``current_setting(..., true)`` returns outside a context into NULL: no row matches
#: NULL, and no ``invalid input syntax for type uuid`` error is ever raised.
CURRENT_TENANT_SQL = f"(SELECT NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid)"

#: Sets the tenant for the current transaction only (``is_local = true``): it can never
#: survive a COMMIT/ROLLBACK into the next user of a pooled connection.
SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', %s, true)"
READ_TENANT_SQL = f"SELECT current_setting('{TENANT_SETTING}', true)"

DEFAULT_TENANT_COLUMN = "tenant_id"


def qn(identifier: str) -> str:
    """Quote an SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def tenant_predicate(column: str = DEFAULT_TENANT_COLUMN) -> str:
    """The condition every policy uses for ``USING`` and ``WITH CHECK``."""
    return f"{qn(column)} = {CURRENT_TENANT_SQL}"


def mentions_tenant(expression: str | None, column: str = DEFAULT_TENANT_COLUMN) -> bool:
    """Whether a stored policy expression compares ``column`` with the tenant setting."""
    return bool(expression) and TENANT_SETTING in expression and column in expression  # type: ignore[operator]


def ors_another_condition(expression: str) -> bool:
    """Whether a stored policy expression ORs something into the tenant predicate."""
    return " OR " in expression.upper()


def enable_rls_statements(table: str, policy: str, column: str = DEFAULT_TENANT_COLUMN) -> list[str]:
    """Enable and force RLS on ``table`` and create its single tenant policy.

    ``FORCE`` makes the policy apply to the table owner too. The policy is ``FOR ALL`` and
    ``TO PUBLIC``: it is the only policy, so a role it does not match sees nothing, and the
    same ``WITH CHECK`` guards INSERT and the new row of UPDATE (no row can move tenants).
    """
    predicate = tenant_predicate(column)
    return [
        f"ALTER TABLE {qn(table)} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qn(table)} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {qn(policy)} ON {qn(table)} AS PERMISSIVE FOR ALL TO PUBLIC "
        f"USING ({predicate}) WITH CHECK ({predicate})",
    ]


def disable_rls_statements(table: str, policy: str) -> list[str]:
    """The exact reverse of :func:`enable_rls_statements`."""
    return [
        f"DROP POLICY IF EXISTS {qn(policy)} ON {qn(table)}",
        f"ALTER TABLE {qn(table)} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {qn(table)} DISABLE ROW LEVEL SECURITY",
    ]


def composite_fk_statements(
    table: str, constraint: str, column: str, parent_table: str,
    tenant_column: str = DEFAULT_TENANT_COLUMN, parent_key: str = "id",
) -> list[str]:
    """``(tenant_id, column) REFERENCES parent (tenant_id, id)``.

    PostgreSQL checks foreign keys without row security, so a plain ``column -> parent.id``
    key would let tenant A attach rows to tenant B's parent (and probe whether an id
    exists). Pairing the key with ``tenant_id`` makes that impossible by any path.
    """
    return [
        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(constraint)} FOREIGN KEY "
        f"({qn(tenant_column)}, {qn(column)}) REFERENCES {qn(parent_table)} "
        f"({qn(tenant_column)}, {qn(parent_key)}) ON DELETE NO ACTION"
    ]


def drop_constraint_statements(table: str, constraint: str) -> list[str]:
    return [f"ALTER TABLE {qn(table)} DROP CONSTRAINT IF EXISTS {qn(constraint)}"]


def script(statements: list[str]) -> str:
    """Join statements into one executable, printable script."""
    return "".join(f"{statement};\n" for statement in statements)
