"""PostgreSQL column types → the Parquet types DMS writes, and text values → typed Arrow arrays.

Both halves of the task produce text first (``COPY … CSV`` for the full load, the
``test_decoding`` stream for CDC, both under ``TimeZone=UTC``), and both go through
:func:`to_arrow` with the catalog's types, so LOAD and CDC files of a table share one
Parquet schema:

=============================  ==========================================================
PostgreSQL                     Parquet (Arrow)
=============================  ==========================================================
boolean                        boolean
smallint / integer / bigint    int16 / int32 / int64
numeric(p,s)                   decimal(p,s); ``numeric`` without precision: decimal(28,6),
                               as DMS maps it to NUMERIC(28,6)
real / double precision        float / double
date                           date32
timestamp [with time zone]     timestamp in milliseconds, UTC, no zone
                               (``ParquetTimestampInMillisecond=true``)
uuid, text, varchar, json(b),  string (JSON as its text)
anything else
=============================  ==========================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

#: Parquet writer options that give DMS's ``ParquetTimestampInMillisecond=true`` behaviour.
PARQUET_WRITE_OPTIONS = {"coerce_timestamps": "ms", "allow_truncated_timestamps": True}
UNCONSTRAINED_NUMERIC = (28, 6)

_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")
_INTS = {"smallint": pa.int16(), "integer": pa.int32(), "bigint": pa.int64()}
_FLOATS = {"real": pa.float32(), "double precision": pa.float64()}
_OFFSET = r"[+-]\d\d(:\d\d(:\d\d)?)?$"


def arrow_type(pg_type: str) -> pa.DataType:
    """The Arrow type for ``format_type()`` text such as ``numeric(12,2)``."""
    if pg_type == "boolean":
        return pa.bool_()
    if pg_type in _INTS:
        return _INTS[pg_type]
    if pg_type in _FLOATS:
        return _FLOATS[pg_type]
    if pg_type == "numeric":
        return pa.decimal128(*UNCONSTRAINED_NUMERIC)
    match = _NUMERIC.match(pg_type)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        return pa.decimal128(precision, scale) if precision <= 38 else pa.string()
    if pg_type == "date":
        return pa.date32()
    if pg_type.startswith("timestamp"):
        return pa.timestamp("us")
    return pa.string()


def to_arrow(values: pa.Array, pg_type: str) -> pa.Array:
    """Text as PostgreSQL prints it (NULL as null) → the typed array for ``pg_type``."""
    target = arrow_type(pg_type)
    if target == pa.string():
        return values
    if pa.types.is_boolean(target):
        return pc.equal(pc.utf8_slice_codeunits(values, 0, 1), "t")
    if pa.types.is_timestamp(target):
        if "with time zone" in pg_type:
            values = pc.replace_substring_regex(values, _OFFSET, "")
        return pc.cast(values, target)
    if pg_type == "numeric":
        # Unconstrained numeric may carry more than 6 decimals: truncated to NUMERIC(28,6) as DMS does.
        return pc.cast(values, target, safe=False)
    return pc.cast(values, target)


@dataclass(frozen=True)
class TableSchema:
    schema: str
    table: str
    columns: tuple[str, ...]
    pg_types: tuple[str, ...]

    def arrow_schema(self, meta_columns: tuple[str, ...]) -> pa.Schema:
        fields = [pa.field(name, pa.string()) for name in meta_columns]
        fields += [pa.field(name, arrow_type(kind)) for name, kind in zip(self.columns, self.pg_types, strict=True)]
        return pa.schema(fields)

    def type_of(self, column: str) -> str:
        return self.pg_types[self.columns.index(column)]
