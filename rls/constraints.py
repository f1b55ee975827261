"""RLS policies and composite tenant foreign keys as Django constraints.

Declaring them as ``Meta.constraints`` entries means ``makemigrations`` detects a new
tenant-scoped model (or a new tenant foreign key) by itself and writes reversible
``AddConstraint`` operations; ``migrate`` back removes them. ``tenancy.models`` attaches
them to every tenant-scoped model, so nobody keeps a list by hand.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.constraints import BaseConstraint

from rls import sql
from rls.roles import configured_roles, policy_roles


class _SQLConstraint(BaseConstraint):
    """A constraint that is pure DDL: nothing to validate in Python."""

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        return None

    def constraint_sql(self, model: Any, schema_editor: Any) -> None:
        # Inside CREATE TABLE (a squashed CreateModel carrying constraints): run it once the
        # migration's tables exist instead of inline.
        statement = self.create_sql(model, schema_editor)
        if statement:
            schema_editor.deferred_sql.append(statement)
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.deconstruct() == other.deconstruct()

    def __hash__(self) -> int:
        return hash(self.name)


class TenantIsolationPolicy(_SQLConstraint):
    """ENABLE + FORCE row level security and the tenant policy on the model's table."""

    def __init__(self, *, name: str, column: str = sql.DEFAULT_TENANT_COLUMN, **kwargs: Any) -> None:
        self.column = column
        super().__init__(name=name, **kwargs)

    def statements(self, table: str) -> list[str]:
        # Role names are read at migrate time: one migration serves every deployment's names.
        roles = configured_roles()
        return [*sql.enable_rls_statements(table, self.name, self.column, policy_roles(roles)),
                *sql.tenant_grant_statements(table, roles.replication, roles.loader)]

    def create_sql(self, model: Any, schema_editor: Any) -> str:
        return sql.script(self.statements(model._meta.db_table))

    def remove_sql(self, model: Any, schema_editor: Any) -> str:
        return sql.script(sql.disable_rls_statements(model._meta.db_table, self.name))

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        if self.column != sql.DEFAULT_TENANT_COLUMN:
            kwargs["column"] = self.column
        return "rls.constraints.TenantIsolationPolicy", args, kwargs

    def __repr__(self) -> str:
        return f"<TenantIsolationPolicy: name={self.name!r} column={self.column!r}>"


class TenantForeignKeyConstraint(_SQLConstraint):
    """``(tenant_id, <field>_id) REFERENCES parent (tenant_id, id)`` for one foreign key."""

    def __init__(self, *, name: str, field: str, tenant_column: str = sql.DEFAULT_TENANT_COLUMN,
                 **kwargs: Any) -> None:
        self.field = field
        self.tenant_column = tenant_column
        super().__init__(name=name, **kwargs)

    def statements(self, model: Any) -> list[str]:
        field = model._meta.get_field(self.field)
        parent = field.related_model
        return sql.composite_fk_statements(
            model._meta.db_table, self.name, field.column, parent._meta.db_table,
            self.tenant_column, parent._meta.pk.column,
        )

    def create_sql(self, model: Any, schema_editor: Any) -> None:
        # Deferred to the end of the migration: the parent's UNIQUE (tenant_id, id) may be
        # added by a later operation of the same migration.
        schema_editor.deferred_sql.append(sql.script(self.statements(model)))
        return None

    def constraint_sql(self, model: Any, schema_editor: Any) -> None:
        self.create_sql(model, schema_editor)
        return None

    def remove_sql(self, model: Any, schema_editor: Any) -> str:
        return sql.script(sql.drop_constraint_statements(model._meta.db_table, self.name))

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        if self.tenant_column != sql.DEFAULT_TENANT_COLUMN:
            kwargs["tenant_column"] = self.tenant_column
        return "rls.constraints.TenantForeignKeyConstraint", args, kwargs

    def __repr__(self) -> str:
        return f"<TenantForeignKeyConstraint: name={self.name!r} field={self.field!r}>"


def tenant_policy_of(model: type[models.Model]) -> TenantIsolationPolicy | None:
    """The model's tenant policy, or None when the model is not tenant-scoped."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, TenantIsolationPolicy):
            return constraint
    return None


def tenant_scoped_models() -> list[type[models.Model]]:
    """Every installed model that declares a tenant policy (the registry, no hand-kept list)."""
    from django.apps import apps

    return [model for model in apps.get_models() if tenant_policy_of(model) is not None]
