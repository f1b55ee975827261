"""Migration operations from ``rls`` whose SQL depends on configured role names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.migrations.operations.base import Operation

from rls import sql
from rls.roles import (
    Roles,
    configured_roles,
    policy_roles,
    resolver_grant_statements,
    resolver_revoke_statements,
    tenant_table_grant_statements,
)

StatementFactory = Callable[[Roles], list[str]]


class RoleGrant(Operation):
    """Run role-dependent grant SQL forwards and its revocation backwards.

    Role names come from settings at migrate time, so one migration serves every
    deployment's role names.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, grant: str) -> None:
        self.grant = grant

    @property
    def _factories(self) -> tuple[StatementFactory, StatementFactory]:
        return {"tenant_resolver": (resolver_grant_statements, resolver_revoke_statements)}[self.grant]

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in self._factories[0](configured_roles()):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in self._factories[1](configured_roles()):
            schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"Grant {self.grant} privileges"

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return "rls.operations.RoleGrant", (), {"grant": self.grant}


class SignTenantPolicies(Operation):
    """Re-create every tenant policy with the signed-context predicate, naming its roles.

    For databases migrated before signed contexts (a fresh database already gets them from
    the constraints of the initial migrations; re-creating is idempotent). Then the grants
    that follow row security (:func:`rls.roles.tenant_table_grant_statements`): the
    replication role reads tenant tables only, the loader writes them, events are
    append-only by privilege. Backwards is a no-op: the initial migrations' constraints drop
    the policies by name.
    """

    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        from rls.constraints import tenant_policy_of, tenant_scoped_models

        roles = configured_roles()
        for model in tenant_scoped_models():
            policy = tenant_policy_of(model)
            assert policy is not None
            for statement in sql.replace_policy_statements(model._meta.db_table, policy.name, policy.column,
                                                           policy_roles(roles)):
                schema_editor.execute(statement, params=None)
        for statement in tenant_table_grant_statements(roles):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None

    def describe(self) -> str:
        return "Re-create tenant policies for signed tenant contexts"

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return "rls.operations.SignTenantPolicies", (), {}
