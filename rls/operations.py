"""Migration operations from ``rls`` whose SQL depends on configured role names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.migrations.operations.base import Operation

from rls.roles import Roles, configured_roles, resolver_grant_statements, resolver_revoke_statements

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
