"""Copy the source tables into an in-memory DuckDB, under their source names and column types.

What the lake's Silver layer is to the Gold metrics, made straight from the test database
(read as the replication role): the equality test then runs each definition's PostgreSQL
text in PostgreSQL and its DuckDB text here over the very same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

COLUMNS_SQL = """
SELECT column_name, data_type, numeric_precision, numeric_scale
FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s
ORDER BY ordinal_position
"""


def arrow_type(data_type: str, precision: int | None, scale: int | None, *, dms: bool = False) -> pa.DataType:
    """PostgreSQL's column type as the Arrow type Silver would hold.

    ``dms=True``: as AWS DMS lands them in Parquet instead - ``numeric`` as ``decimal(28, 6)``
    (the source scale when larger) and timestamps without a zone (UTC wall time).
    """
    if data_type == "numeric":
        if dms:
            return pa.decimal128(28, max(6, scale or 0))
        return pa.decimal128(precision or 38, scale if precision else 10)
    if dms and data_type == "timestamp with time zone":
        return pa.timestamp("us")
    return {
        "uuid": pa.string(), "text": pa.string(), "character varying": pa.string(), "jsonb": pa.string(),
        "json": pa.string(), "boolean": pa.bool_(), "integer": pa.int32(), "smallint": pa.int16(),
        "bigint": pa.int64(), "date": pa.date32(), "double precision": pa.float64(), "real": pa.float32(),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"), "timestamp without time zone": pa.timestamp("us"),
        "inet": pa.string(),
    }[data_type]


def _plain(value: Any, dms: bool) -> Any:
    if dms and isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def export_tables(conn, tables: Iterable[str], *, dms: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one table per source table (same name, columns and types; see ``dms``)."""
    con = duckdb.connect(":memory:")
    for table in tables:
        with conn.cursor() as cursor:
            cursor.execute(COLUMNS_SQL, [table])
            columns = cursor.fetchall()
            schema = pa.schema([pa.field(name, arrow_type(t, p, s, dms=dms)) for name, t, p, s in columns])
            names = ", ".join(f'"{name}"' for name, *_ in columns)
            cursor.execute(f'SELECT {names} FROM "{table}"')
            rows = cursor.fetchall()
        data = {name: [_plain(row[i], dms) for row in rows] for i, (name, *_) in enumerate(columns)}
        arrow = pa.Table.from_pydict(data, schema=schema)
        con.register(f"{table}_arrow", arrow)
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM "{table}_arrow"')
        con.unregister(f"{table}_arrow")
    return con
