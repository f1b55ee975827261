"""What the lake knows about the source tables, derived from the Django models (no hand-kept list).

Each replicated table (``cdc.mapping.replicated_tables()``: the DMS table mapping) becomes a
:class:`TableSpec`: its columns in model order with a *kind* that decides three things in one
place: the DuckDB type of the Silver column, the Iceberg type of the exported column, and the
canonical text both engines hash for the fingerprint (``lakehouse.fingerprint``).

The landed files hold every value as the text PostgreSQL's output function prints (what
``test_decoding`` and DMS deliver), so a kind is also how that text is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from cdc.mapping import replicated_tables

#: Django internal type → lake kind. A field type missing here fails closed (``UnknownFieldType``).
_KINDS = {
    "UUIDField": "uuid",
    "CharField": "text",
    "EmailField": "text",
    "SlugField": "text",
    "TextField": "text",
    "URLField": "text",
    "GenericIPAddressField": "inet",
    "JSONField": "json",
    "DecimalField": "decimal",
    "IntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "int",
    "SmallIntegerField": "int",
    "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint",
    "BigAutoField": "bigint",
    "AutoField": "int",
    "BooleanField": "bool",
    "DateTimeField": "timestamptz",
    "DateField": "date",
    "FloatField": "float",
}


class UnknownFieldType(TypeError):
    """A model field whose type the lake does not map (add it to ``_KINDS``)."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    precision: int | None = None
    scale: int | None = None

    @property
    def duckdb_type(self) -> str:
        if self.kind == "decimal":
            return f"DECIMAL({self.precision},{self.scale})"
        return {
            "uuid": "UUID", "text": "VARCHAR", "inet": "VARCHAR", "json": "VARCHAR", "int": "INTEGER",
            "bigint": "BIGINT", "bool": "BOOLEAN", "timestamptz": "TIMESTAMPTZ", "date": "DATE",
            "float": "DOUBLE",
        }[self.kind]


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    columns: tuple[ColumnSpec, ...]
    #: The column naming the tenant of a row (``id`` for the tenant table itself).
    tenant_column: str
    #: The primary key (a UUIDv7, unique across tenants).
    key: str = "id"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _column(field: models.Field) -> ColumnSpec:
    target = field.target_field if field.is_relation else field
    internal = target.get_internal_type()
    if internal not in _KINDS:
        raise UnknownFieldType(f"{field.model.__name__}.{field.name}: no lake type for {internal}")
    kind = _KINDS[internal]
    if kind == "decimal":
        return ColumnSpec(field.column, kind, target.max_digits, target.decimal_places)
    return ColumnSpec(field.column, kind)


def table_specs() -> list[TableSpec]:
    """Every replicated table, sorted by name, with its columns in model order."""
    by_table = {model._meta.db_table: model for model in apps.get_models()}
    specs = []
    for table in replicated_tables():
        model = by_table[table.table]
        columns = tuple(_column(f) for f in model._meta.concrete_fields)
        specs.append(TableSpec(table.schema, table.table, columns, table.tenant_column))
    return specs


def spec_map() -> dict[str, TableSpec]:
    return {spec.name: spec for spec in table_specs()}
