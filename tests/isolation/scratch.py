"""Scratch databases with one protection removed: the negative controls' playground.

``scratch_database(label, ddl)`` creates a fresh database on the test server, migrates it
as the owner role exactly like the test database, applies ``ddl`` as the owner (the app
role may not run DDL), points every Django alias at it for the duration and drops it
afterwards. The *leak* builders below write the DDL that removes one protection each;
all policy SQL still comes from :mod:`rls.sql`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management import call_command
from django.db import connections

from project.bootstrap import drop_database, ensure_database
from project.database import current_database_name
from rls.constraints import tenant_policy_of
from rls.sql import CURRENT_TENANT_SQL, disable_rls_statements, drop_constraint_statements, qn, tenant_predicate
from tests.isolation.model import model_for
from tests.support import execute_as, point_all_aliases_at


@contextmanager
def scratch_database(label: str, ddl: list[str]) -> Iterator[str]:
    name = f"iso_{label}_{os.getpid()}"
    original = current_database_name()
    ensure_database(name, fresh=True)
    try:
        point_all_aliases_at(name)
        call_command("migrate", database="owner", verbosity=0, interactive=False)
        connections["owner"].close()
        execute_as("owner", name, *ddl)
        yield name
    finally:
        point_all_aliases_at(original)
        drop_database(name)


# ------------------------------------------------------------------ leaks (DDL as the owner)


def _policy(table: str) -> str:
    policy = tenant_policy_of(model_for(table))
    assert policy is not None, table
    return policy.name


def rls_disabled(table: str) -> list[str]:
    return disable_rls_statements(table, _policy(table))


def with_check_true(table: str) -> list[str]:
    """The policy keeps its USING clause but lets any row in (``WITH CHECK (true)``)."""
    policy = _policy(table)
    return [
        f"DROP POLICY {qn(policy)} ON {qn(table)}",
        f"CREATE POLICY {qn(policy)} ON {qn(table)} FOR ALL TO PUBLIC USING ({tenant_predicate()}) "
        "WITH CHECK (true)",
    ]


def plain_foreign_key(table: str, field: str) -> list[str]:
    """Replace ``(tenant_id, <field>_id) -> parent (tenant_id, id)`` by ``<field>_id -> parent (id)``."""
    model = model_for(table)
    fk = model._meta.get_field(field)
    parent = fk.related_model._meta.db_table
    return [
        *drop_constraint_statements(table, f"{table}_{field}_tenant_fk"),
        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(table + '_' + field + '_plain_fk')} "
        f"FOREIGN KEY ({qn(fk.column)}) REFERENCES {qn(parent)} (id)",
    ]


def global_unique(table: str, constraint: str, column: str) -> list[str]:
    """Replace a per-tenant unique business key by a global one."""
    return [
        *drop_constraint_statements(table, constraint),
        f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(constraint + '_global')} UNIQUE ({qn(column)})",
    ]


def sequence_column(table: str) -> list[str]:
    """A global counter on a tenant table (what a serial primary key would be)."""
    return [f"ALTER TABLE {qn(table)} ADD COLUMN seq bigserial"]


def replication_may_write(table: str, role: str) -> list[str]:
    return [f"GRANT INSERT, UPDATE, DELETE ON {qn(table)} TO {qn(role)}"]


__all__ = ["CURRENT_TENANT_SQL", "global_unique", "plain_foreign_key", "replication_may_write", "rls_disabled",
           "scratch_database", "sequence_column", "with_check_true"]
