"""The one rule that decides whether a stored policy condition *is* the tenant predicate.

The system check (``rls.E006``) and the audit (``POLICY_WITHOUT_TENANT``,
``POLICY_OR_BYPASS``) both ask it; neither looks for substrings, so ``tenant_id <> …``,
``tenant_id = … OR …`` or any other look-alike is "not the predicate".

How: PostgreSQL itself parses, analyses and deparses both conditions in the same context.
For each one we ask ``EXPLAIN (VERBOSE, COSTS OFF) SELECT <condition> FROM ONLY <table>``;
the two statements differ only in that select-list expression, so their plans are equal
exactly when the server understands the two conditions the same way. The stored condition
comes from ``pg_get_expr`` (``pg_policies``), the expected one from
:func:`rls.sql.tenant_predicate`, whatever SQL that returns. ``EXPLAIN`` without
``ANALYZE`` executes nothing and creates nothing, so any role with ``SELECT`` on the table
can decide (the runtime app role has no ``TEMPORARY`` privilege and needs none).

Callers run inside a transaction: each probe sits in a savepoint, and a condition the
server cannot plan for this role counts as "not the predicate" (fail closed).
"""

from __future__ import annotations

from typing import Any

from rls.sql import DEFAULT_TENANT_COLUMN, qn, tenant_predicate

SAVEPOINT = "rls_predicate_probe"


def plan_of(cursor: Any, table: str, condition: str) -> tuple[str, ...] | None:
    """PostgreSQL's verbose plan of selecting ``condition`` from ``table`` (None: it cannot be planned)."""
    cursor.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        # The condition is a deparsed catalog expression or rls.sql text, never user input.
        cursor.execute(f"EXPLAIN (VERBOSE, COSTS OFF) SELECT ({condition}) FROM ONLY {qn(table)}")  # noqa: S608
        plan = tuple(str(row[0]) for row in cursor.fetchall())
    except Exception:  # noqa: BLE001 - the driver's error type varies (psycopg2, Django): any failure means "no"
        cursor.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        return None
    cursor.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
    return plan


def same_condition(cursor: Any, table: str, stored: str | None, expected: str) -> bool:
    """Whether PostgreSQL understands ``stored`` exactly as ``expected`` on ``table``."""
    if not stored:
        return False
    want = plan_of(cursor, table, expected)
    return want is not None and plan_of(cursor, table, stored) == want


def is_tenant_predicate(cursor: Any, table: str, stored: str | None,
                        column: str = DEFAULT_TENANT_COLUMN) -> bool:
    """Whether the stored condition ``stored`` of a policy on ``table`` is the tenant predicate on ``column``."""
    return same_condition(cursor, table, stored, tenant_predicate(column))


__all__ = ["is_tenant_predicate", "same_condition"]
