"""Which tables reach the lake, derived from the model registry (never a hand-kept list).

The tenant-scoped models (``rls.constraints.tenant_scoped_models()``: every table with a
tenant policy, the tenant table included) are replicated; Django's internal tables are not.
``cdc_tail`` and ``dms_config`` both use this module, so the local stand-in captures exactly
what the DMS task's table mapping selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rls.constraints import tenant_policy_of, tenant_scoped_models

SCHEMA = "public"
#: Django's internal tables: sessions, auth, admin log, content types, migrations.
EXCLUDED_PREFIXES = ("django_", "auth_")
#: The column DMS adds with the ``add-column`` transformation (``$AR_H_CHANGE_SEQ``), and ours.
CHANGE_SEQ_COLUMN = "change_seq"


@dataclass(frozen=True)
class ReplicatedTable:
    schema: str
    table: str
    #: The column that names the tenant of a row (``id`` for the tenant table itself).
    tenant_column: str


def replicated_tables() -> list[ReplicatedTable]:
    tables = []
    for model in tenant_scoped_models():
        policy = tenant_policy_of(model)
        assert policy is not None  # tenant_scoped_models() returns models with a policy
        tables.append(ReplicatedTable(SCHEMA, model._meta.db_table, policy.column))
    return sorted(tables, key=lambda t: t.table)


def table_filter() -> set[tuple[str, str]]:
    return {(t.schema, t.table) for t in replicated_tables()}


def tenant_columns() -> dict[str, str]:
    return {t.table: t.tenant_column for t in replicated_tables()}


def table_mappings() -> dict[str, Any]:
    """The DMS task's table-mapping JSON: selection, exclusion and transformation rules."""
    rules: list[dict[str, Any]] = []
    rule_id = 0

    def add(rule: dict[str, Any]) -> None:
        nonlocal rule_id
        rule_id += 1
        rules.append({"rule-id": str(rule_id), "rule-name": f"{rule['rule-type']}-{rule_id}", **rule})

    for table in replicated_tables():
        add({
            "rule-type": "selection",
            "object-locator": {"schema-name": table.schema, "table-name": table.table},
            "rule-action": "include",
            "filters": [],
        })
    for prefix in EXCLUDED_PREFIXES:
        add({
            "rule-type": "selection",
            "object-locator": {"schema-name": SCHEMA, "table-name": f"{prefix}%"},
            "rule-action": "exclude",
        })
    add({
        "rule-type": "transformation",
        "rule-target": "column",
        "object-locator": {"schema-name": SCHEMA, "table-name": "%"},
        "rule-action": "add-column",
        "value": CHANGE_SEQ_COLUMN,
        "expression": "$AR_H_CHANGE_SEQ",
        "data-type": {"type": "string", "length": 50},
    })
    return {"rules": rules}
