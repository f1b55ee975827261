"""Replica identity for tenant-scoped tables: every change image carries ``tenant_id``.

With ``REPLICA IDENTITY DEFAULT`` a DELETE (and an UPDATE that keeps the key) is logged with
the primary key only, so a CDC consumer such as AWS DMS cannot tell which tenant a deleted
row belonged to. Every tenant-scoped table has ``UNIQUE (tenant_id, id)`` (named
``<db_table>_tenant_id_key``, all columns NOT NULL), which PostgreSQL accepts as replica
identity index: old-row images then carry ``tenant_id`` and ``id``, and nothing more (FULL
would log whole rows for every update). ``tenancy_tenant`` keeps DEFAULT: its key *is* the
tenant id.

This module imports Django only (``rls`` stays below ``tenancy`` in the dependency order).
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation

from rls.sql import qn

IDENTITY_INDEX_SUFFIX = "_tenant_id_key"


def identity_index_name(table: str) -> str:
    """The name of the ``UNIQUE (tenant_id, id)`` index of ``table`` (PostgreSQL's 63-byte limit)."""
    return f"{table}{IDENTITY_INDEX_SUFFIX}"[:63]


def replica_identity_statements(table: str) -> list[str]:
    return [f"ALTER TABLE {qn(table)} REPLICA IDENTITY USING INDEX {qn(identity_index_name(table))}"]


def default_identity_statements(table: str) -> list[str]:
    return [f"ALTER TABLE {qn(table)} REPLICA IDENTITY DEFAULT"]


#: Reads each table's replica identity: 'd' default, 'i' index (with its name), 'f' full, 'n' nothing.
IDENTITY_SQL = """
SELECT c.relname, c.relreplident,
       (SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = c.oid AND x.indisreplident) AS identity_index
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = ANY(%s)
"""


class SetTenantReplicaIdentity(Operation):
    """``REPLICA IDENTITY USING INDEX <table>_tenant_id_key`` forwards, DEFAULT backwards.

    Takes a model name (not a table name) and derives the table from the migration state,
    so a later ``db_table`` change is followed and nobody types table names twice.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label: str, state: Any) -> None:
        return None

    def _table(self, app_label: str, state: Any) -> str:
        return str(state.apps.get_model(app_label, self.model_name)._meta.db_table)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in replica_identity_statements(self._table(app_label, to_state)):
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        for statement in default_identity_statements(self._table(app_label, from_state)):
            schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"Set replica identity of {self.model_name} to its (tenant_id, id) index"

    @property
    def migration_name_fragment(self) -> str:
        return f"replica_identity_{self.model_name.lower()}"

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return "rls.replica.SetTenantReplicaIdentity", (), {"model_name": self.model_name}
