"""Writing change rows the way DMS's S3 target does (layout and columns: :mod:`cdc.landing`).

The sink is closed by construction: it writes only the tables of its catalog (the tables
the DMS table mapping selects, schema-qualified, see :mod:`cdc.catalog`), keys every file
by schema *and* table, and refuses a name that could leave the landing root (a path
separator, ``..``). A table of the same name in another schema is a different table, not
more rows for ``public``'s files.

CSV: header row; NULL is an empty unquoted field (``CsvNullValue`` pinned to ""), every
other value quoted, so NULL and the empty string stay distinct; an unchanged TOASTed value
is the bare token ``unchanged-toast-datum`` (the reader keeps the previous value). Parquet:
typed as :mod:`cdc.arrowtypes` says; the TOAST token stays a string (only string columns
are ever TOASTed out of line in this schema).

Files appear whole or not at all (see the stores in :mod:`cdc.landing`): what exists is
durable, which is what lets the consumer confirm the slot position afterwards.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cdc.arrowtypes import PARQUET_WRITE_OPTIONS, TableSchema, to_arrow
from cdc.decoding import TOAST_TOKEN, UNCHANGED_TOAST, Value
from cdc.landing import (
    CHANGE_SEQ_COLUMN,
    META_COLUMNS,
    OP_COLUMN,
    TIMESTAMP_COLUMN,
    FolderStore,
    LandingError,
    Store,
    cdc_file_name,
    landing_files,
    parse_file_name,
    read_landing_file,
    table_key,
)

__all__ = ["META_COLUMNS", "OP_COLUMN", "SEQ_COLUMN", "TIMESTAMP_COLUMN", "LandingSink", "OutRow", "ReadRow",
           "format_csv", "read_rows"]

SEQ_COLUMN = CHANGE_SEQ_COLUMN


@dataclass(frozen=True)
class OutRow:
    op: str
    commit_timestamp: str
    change_seq: str
    values: dict[str, Value]


def _field(value: Value) -> str:
    if value is None:
        return ""
    if value is UNCHANGED_TOAST:
        return TOAST_TOKEN
    return '"' + str(value).replace('"', '""') + '"'


def format_csv(columns: Sequence[str], rows: Iterable[OutRow]) -> str:
    lines = [",".join(_field(name) for name in (*META_COLUMNS, *columns))]
    for row in rows:
        fields = [row.op, row.commit_timestamp, row.change_seq, *(row.values.get(c) for c in columns)]
        lines.append(",".join(_field(v) for v in fields))
    return "\r\n".join(lines) + "\r\n"


def encode_parquet(schema: TableSchema, rows: Sequence[OutRow]) -> bytes:
    def text(value: Value) -> str | None:
        return TOAST_TOKEN if value is UNCHANGED_TOAST else value  # type: ignore[return-value]

    arrays = [pa.array([r.op for r in rows], pa.string()),
              pa.array([r.commit_timestamp for r in rows], pa.string()),
              pa.array([r.change_seq for r in rows], pa.string())]
    for column, kind in zip(schema.columns, schema.pg_types, strict=True):
        arrays.append(to_arrow(pa.array([text(r.values.get(column)) for r in rows], pa.string()), kind))
    table = pa.Table.from_arrays(arrays, schema=schema.arrow_schema(META_COLUMNS))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **PARQUET_WRITE_OPTIONS)
    return buffer.getvalue()


class LandingSink:
    """CDC files of the selected tables, one per table and flush, named by the flush time."""

    def __init__(self, store: Store, fmt: str, catalog: dict[tuple[str, str], TableSchema]) -> None:
        if fmt not in ("csv", "parquet"):
            raise LandingError(f"unknown format {fmt!r}; choose csv or parquet")
        for schema, table in catalog:
            table_key(schema, table)  # refuse unusable names before anything is written
        self.store = store
        self.fmt = fmt
        self.catalog = catalog
        self.files_written = 0
        self._last_name: dict[tuple[str, str], str] = {}

    def accepts(self, schema: str, table: str) -> bool:
        return (schema, table) in self.catalog

    def write(self, schema: str, table: str, rows: Sequence[OutRow], when: dt.datetime | None = None) -> str:
        """One durable CDC file for ``schema.table``; returns its key."""
        if (schema, table) not in self.catalog:
            raise LandingError(f"{schema}.{table} is not selected by the table mapping; the sink refuses it.")
        prefix = table_key(schema, table)
        moment = when or dt.datetime.now(dt.UTC)
        name = cdc_file_name(moment, self.fmt)
        last = self._last_name.get((schema, table))
        while last is not None and name <= last:  # two flushes within 0.1 ms: the next tick
            moment += dt.timedelta(microseconds=100)
            name = cdc_file_name(moment, self.fmt)
        self._last_name[(schema, table)] = name
        schema_info = self.catalog[(schema, table)]
        if self.fmt == "csv":
            data = format_csv(schema_info.columns, rows).encode("utf-8")
        else:
            data = encode_parquet(schema_info, rows)
        key = f"{prefix}/{name}"
        self.store.put(key, data)
        self.files_written += 1
        return key


@dataclass(frozen=True)
class ReadRow:
    schema: str
    table: str
    op: str
    commit_timestamp: str
    change_seq: str
    #: When the file became durable (naive UTC, from its name); the transfer time for LOAD files.
    written_at: dt.datetime
    values: dict[str, str]


def _text(value: object) -> str:
    """A Parquet value back to its text (NULL as "", as CSV's reader cannot tell them apart)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_rows(root: Path | Store) -> Iterator[ReadRow]:
    """Every row of every landed file under ``root`` (full load first, then CDC, per table)."""
    store = FolderStore(Path(root)) if isinstance(root, str | Path) else root
    for landed in landing_files(store):
        table = read_landing_file(store, landed.key)
        for record in table.to_pylist():
            data = {name: _text(value) for name, value in record.items()}
            stamp = data.pop(TIMESTAMP_COLUMN)
            written = landed.written_at
            if written is None:
                written = dt.datetime.fromisoformat(stamp) if stamp else dt.datetime(1970, 1, 1)
            yield ReadRow(landed.schema, landed.table, data.pop(OP_COLUMN), stamp, data.pop(SEQ_COLUMN),
                          written.replace(tzinfo=None), data)


def is_landing_file(name: str) -> bool:
    return parse_file_name("s", "t", name) is not None
