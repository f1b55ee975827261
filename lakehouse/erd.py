"""The source schema as a Mermaid entity-relationship diagram, generated from the models.

``docs/erd.md`` is this function's output (``python manage.py lake_erd --write``); a test
fails when the models change and the file was not regenerated, so the diagram that the DMS
table mapping is planned from cannot drift from the schema.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from lakehouse.schema import table_specs

_TYPES = {"uuid": "uuid", "text": "text", "inet": "inet", "json": "jsonb", "decimal": "numeric", "int": "integer",
          "bigint": "bigint", "bool": "boolean", "timestamptz": "timestamptz", "date": "date", "float": "float8"}


def _comment(field: models.Field) -> str:
    notes = []
    if isinstance(field, models.DecimalField):
        notes.append(f"numeric({field.max_digits},{field.decimal_places})")
    elif isinstance(field, models.CharField) and field.max_length:
        notes.append(f"varchar({field.max_length})")
    if field.null:
        notes.append("nullable")
    return f' "{", ".join(notes)}"' if notes else ""


def mermaid_erd() -> str:
    """``erDiagram`` text: every replicated table, its columns, and every foreign key as a relationship."""
    specs = table_specs()
    by_table = {model._meta.db_table: model for model in apps.get_models()}
    lines = ["erDiagram"]
    relations = []
    for spec in specs:
        model = by_table[spec.name]
        lines.append(f"    {spec.name} {{")
        for field, column in zip(model._meta.concrete_fields, spec.columns, strict=True):
            key = " PK" if field.primary_key else " FK" if field.is_relation else ""
            lines.append(f"        {_TYPES[column.kind]} {column.name}{key}{_comment(field)}")
            if field.is_relation:
                parent = field.related_model._meta.db_table
                one = "|o" if field.null else "||"
                relations.append(f'    {parent} {one}--o{{ {spec.name} : "{column.name}"')
        lines.append("    }")
    return "\n".join([*lines, *sorted(relations)]) + "\n"


def erd_markdown() -> str:
    return (
        "# Source schema (entity-relationship diagram)\n\n"
        "Generated from the Django models by `python manage.py lake_erd --write`; "
        "`tests/lakehouse/test_erd.py` fails when it is out of date. These are the tables the DMS task "
        "replicates (`python manage.py dms_config`). Every table carries `tenant_id`, and every foreign key is "
        "enforced as `(tenant_id, x_id) REFERENCES x (tenant_id, id)`, so a row only points at its own tenant's "
        "parents.\n\n"
        "```mermaid\n" + mermaid_erd() + "```\n"
    )
