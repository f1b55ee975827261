"""The AWS side of the same lake, as Athena SQL generated from the models: Bronze DDL, Silver DDL, MERGE.

What runs locally in DuckDB (``lakehouse.sql``) runs on AWS as:

* Bronze: an external table over the DMS folder of each table (all-string columns, as the
  local task writes them; with real DMS Parquet the columns come typed and the casts below
  become no-ops);
* Silver: an Iceberg table with the same three bookkeeping columns as the local state
  (``_change_seq``, ``_op``, ``_deleted``: tombstones keep a late, older change from
  resurrecting a deleted key) and a view without the tombstones;
* the MERGE: the latest change per key first (``row_number() … = 1``: Athena fails with
  ``MERGE_TARGET_ROW_MULTIPLE_MATCHES`` when two source rows match one target row), then
  applied only where its sequence is newer; an unchanged TOAST token keeps the old value.
"""

from __future__ import annotations

from lakehouse.schema import ColumnSpec, TableSpec
from lakehouse.sql import SEQ_WIDTH, TOAST_TOKEN, literal

_ATHENA_TYPES = {"uuid": "string", "text": "string", "inet": "string", "json": "string", "int": "int",
                 "bigint": "bigint", "bool": "boolean", "timestamptz": "timestamp", "date": "date",
                 "float": "double"}


def athena_type(column: ColumnSpec) -> str:
    if column.kind == "decimal":
        return f"decimal({column.precision},{column.scale})"
    return _ATHENA_TYPES[column.kind]


def _cast(column: ColumnSpec, value: str) -> str:
    """A landed text value as the Silver type (PostgreSQL's '2024-01-01 12:00:00.5+00' made ISO 8601)."""
    if column.kind == "timestamptz":
        text = f"replace({value}, ' ', 'T')"
        iso = f"CASE WHEN regexp_like({text}, '[+-][0-9]{{2}}$') THEN {text} || ':00' ELSE {text} END"
        return f"CAST(from_iso8601_timestamp_nanos({iso}) AT TIME ZONE 'UTC' AS timestamp(6))"
    if athena_type(column) == "string":
        return value
    return f"CAST({value} AS {athena_type(column)})"


def bronze_ddl(spec: TableSpec, location: str, fmt: str = "parquet") -> str:
    cols = ",\n  ".join(f"`{c}` string" for c in ("Op", "commit_timestamp", "change_seq", *spec.column_names))
    stored = ("STORED AS PARQUET" if fmt == "parquet" else
              "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\nSTORED AS TEXTFILE")
    extra = "" if fmt == "parquet" else "\nTBLPROPERTIES ('skip.header.line.count' = '1')"
    return (f"CREATE EXTERNAL TABLE IF NOT EXISTS bronze.{spec.name} (\n  {cols}\n)\n{stored}\n"
            f"LOCATION '{location.rstrip('/')}/{spec.schema}/{spec.name}/'{extra};")


def silver_ddl(spec: TableSpec, location: str) -> str:
    cols = ",\n  ".join(f"{c.name} {athena_type(c)}" for c in spec.columns)
    view_cols = ", ".join(spec.column_names)
    return (f"CREATE TABLE IF NOT EXISTS silver.{spec.name}_state (\n  {cols},\n  _change_seq string,\n"
            f"  _op string,\n  _deleted boolean\n)\nPARTITIONED BY (bucket(16, {spec.tenant_column}))\n"
            f"LOCATION '{location.rstrip('/')}/silver/{spec.name}/'\n"
            "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');\n\n"
            f"CREATE OR REPLACE VIEW silver.{spec.name} AS\nSELECT {view_cols}\n"
            f"FROM silver.{spec.name}_state WHERE NOT _deleted;")


def merge_sql(spec: TableSpec) -> str:
    """Apply the new Bronze rows (``change_seq`` above the watermark) to the Silver state table."""
    key = spec.key
    token = literal(TOAST_TOKEN)
    toastable = {"text", "json"}

    def value(c: ColumnSpec) -> str:
        cast = _cast(c, f"s.{c.name}")
        if c.kind in toastable:
            return f"CASE WHEN s.{c.name} = {token} THEN t.{c.name} ELSE {cast} END"
        return cast

    sets = ",\n    ".join(f"{c.name} = {value(c)}" for c in spec.columns if c.name != key)
    inserts = ", ".join(spec.column_names)
    values = ",\n    ".join(_cast(c, f"s.{c.name}") for c in spec.columns)
    return (
        f"MERGE INTO silver.{spec.name}_state AS t\n"
        "USING (\n"
        "  SELECT * FROM (\n"
        f"    SELECT n.*, row_number() OVER (PARTITION BY {key} ORDER BY seq DESC, file DESC) AS rn FROM (\n"
        f"      SELECT b.*, lpad(coalesce(nullif(b.change_seq, ''), '0'), {SEQ_WIDTH}, '0') AS seq, "
        "\"$path\" AS file\n"
        f"      FROM bronze.{spec.name} AS b\n"
        "    ) AS n\n"
        "    WHERE seq > ?  -- the watermark: the greatest sequence merged so far ('' the first time)\n"
        "  ) WHERE rn = 1\n"
        ") AS s\n"
        f"ON t.{key} = s.{key}\n"
        "WHEN MATCHED AND s.seq > t._change_seq THEN UPDATE SET\n"
        f"    {sets},\n"
        "    _change_seq = s.seq, _op = s.Op, _deleted = (s.Op = 'D')\n"
        "WHEN NOT MATCHED THEN INSERT (" + inserts + ", _change_seq, _op, _deleted) VALUES (\n"
        f"    {values},\n"
        "    s.seq, s.Op, s.Op = 'D');"
    )


def athena_script(specs: list[TableSpec], landing: str, warehouse: str) -> str:
    """Everything an analyst pastes into Athena to build Bronze and Silver for ``specs``."""
    parts = ["CREATE DATABASE IF NOT EXISTS bronze;", "CREATE DATABASE IF NOT EXISTS silver;"]
    for spec in specs:
        parts += [f"-- {spec.name}", bronze_ddl(spec, landing), silver_ddl(spec, warehouse), merge_sql(spec)]
    return "\n\n".join(parts) + "\n"
