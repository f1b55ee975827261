"""The one module that writes tenant-isolation SQL.

Every policy condition, the session-variable handling and every composite foreign key
comes from here, so migrations, the audit, ``docs/policies.sql`` and the documentation all
print identical SQL. Nothing here touches a connection: functions return strings, and two
predicates read stored policy text back (the audit and the system check share them).
"""

from __future__ import annotations

#: The transaction-local settings a tenant context consists of: the tenant id and its proof.
TENANT_SETTING = "app.tenant_id"
PROOF_SETTING = "app.tenant_proof"

#: Schema of the context keys: owned by the NOLOGIN verifier role, no USAGE for anybody else.
PRIVATE_SCHEMA = "lakehouse_private"
KEY_TABLE = f"{PRIVATE_SCHEMA}.context_keys"
#: The SECURITY DEFINER function that turns (tenant id, proof) into the verified tenant.
VERIFY_FUNCTION = "lakehouse_verified_tenant"
#: HMAC-SHA256 in SQL (core ``sha256()``; the embedded server has no pgcrypto).
HMAC_FUNCTION = "lakehouse_hmac_sha256"
#: Domain separation of the signed message (``<prefix>:<tenant>:<xid>:<pid>``).
PROOF_PREFIX = "lakehouse-tenant-context:v1"

#: The current tenant, evaluated once per statement (an InitPlan) thanks to the sub-select,
#: so the planner can use ``(tenant_id, ...)`` indexes. The verifier returns NULL for a
#: missing, malformed or wrong proof: no row matches NULL, and no cast error is ever raised.
CURRENT_TENANT_SQL = f"(SELECT public.{VERIFY_FUNCTION}())"

#: First statement of a top-level context (one round trip, inside the context's own
#: transaction, so it reaches the very backend that serves the context even behind a
#: transaction pooler): throw away whatever an earlier user of the connection left in the
#: session (WITH HOLD cursors, prepared statements, LISTEN, advisory locks, temp tables,
#: sequence caches, session settings), then read what the proof is bound to: the
#: transaction id (assigned now) and the backend pid. ``RESET ALL`` does not reset the
#: role; ``RESET ROLE`` does. The connection's time zone is set again by the caller.
RESET_AND_NONCE_SQL = (
    "CLOSE ALL; DEALLOCATE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; "
    "DISCARD SEQUENCES; RESET ALL; RESET ROLE; SET TIME ZONE %s; "
    "SELECT pg_current_xact_id()::text, pg_backend_pid()"
)
#: The same binding without the reset (a nested context: same transaction, same backend).
NONCE_SQL = "SELECT pg_current_xact_id()::text, pg_backend_pid()"

#: Sets tenant and proof for the current transaction only (``is_local = true``) and answers
#: what the database made of them, so a refused proof is an exception at entry rather than
#: empty results later. The MATERIALIZED CTE runs the set_config calls before the verifier.
ENTER_TENANT_SQL = (
    f"WITH s AS MATERIALIZED (SELECT set_config('{TENANT_SETTING}', %s, true) AS t, "  # noqa: S608 - constants; values are parameters
    f"set_config('{PROOF_SETTING}', %s, true) AS p) SELECT public.{VERIFY_FUNCTION}()::text FROM s"
)
#: Leaves every context of the transaction: no tenant, no proof.
CLEAR_TENANT_SQL = (
    f"SELECT set_config('{TENANT_SETTING}', '', true), set_config('{PROOF_SETTING}', '', true)"
)
#: Kept for readers of the raw setting (the unsigned value alone grants nothing).
SET_TENANT_SQL = f"SELECT set_config('{TENANT_SETTING}', %s, true)"
READ_TENANT_SQL = f"SELECT current_setting('{TENANT_SETTING}', true)"
READ_VERIFIED_TENANT_SQL = f"SELECT public.{VERIFY_FUNCTION}()::text"

DEFAULT_TENANT_COLUMN = "tenant_id"


def qn(identifier: str) -> str:
    """Quote an SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def tenant_predicate(column: str = DEFAULT_TENANT_COLUMN) -> str:
    """The condition every policy uses for ``USING`` and ``WITH CHECK``."""
    return f"{qn(column)} = {CURRENT_TENANT_SQL}"


def mentions_tenant(expression: str | None, column: str = DEFAULT_TENANT_COLUMN) -> bool:
    """Whether a stored policy expression compares ``column`` with the verified tenant."""
    return bool(expression) and VERIFY_FUNCTION in expression and column in expression  # type: ignore[operator]


def ors_another_condition(expression: str) -> bool:
    """Whether a stored policy expression ORs something into the tenant predicate."""
    return " OR " in expression.upper()


def enable_rls_statements(table: str, policy: str, column: str = DEFAULT_TENANT_COLUMN,
                          to: tuple[str, ...] = ("PUBLIC",)) -> list[str]:
    """Enable and force RLS on ``table`` and create its single tenant policy.

    ``FORCE`` makes the policy apply to the table owner too. The policy is ``FOR ALL`` and
    names the roles that work under a tenant context (``to``: the app and the loader role,
    from :func:`rls.roles.policy_roles`); any other role, the owner included, matches no
    policy and sees nothing. The same ``WITH CHECK`` guards INSERT and the new row of
    UPDATE (no row can move tenants).
    """
    predicate = tenant_predicate(column)
    grantees = ", ".join(role if role == "PUBLIC" else qn(role) for role in to)
    return [
        f"ALTER TABLE {qn(table)} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {qn(table)} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {qn(policy)} ON {qn(table)} AS PERMISSIVE FOR ALL TO {grantees} "
        f"USING ({predicate}) WITH CHECK ({predicate})",
    ]


def replace_policy_statements(table: str, policy: str, column: str, to: tuple[str, ...]) -> list[str]:
    """Re-create an existing tenant policy with the current predicate and roles."""
    return [f"DROP POLICY IF EXISTS {qn(policy)} ON {qn(table)}",
            *enable_rls_statements(table, policy, column, to)[2:]]


def tenant_grant_statements(table: str, replication: str, loader: str) -> list[str]:
    """A tenant table is read by the replication role (DMS) and loaded by the seeding loader."""
    return [f"GRANT SELECT ON {qn(table)} TO {qn(replication)}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {qn(table)} TO {qn(loader)}"]


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
