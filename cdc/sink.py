"""Writing change rows the way DMS's S3 target does: ``<root>/<schema>/<table>/<timestamp>.csv``.

Each file has a header row (DMS's ``addColumnName=true``): ``Op`` (I/U/D), the commit
timestamp, the change sequence, then the table's columns. NULL is an empty unquoted field
and every non-NULL value is quoted, so NULL and the empty string stay distinct (DMS's
``csvNullValue`` default is the empty field too). A TOASTed value that an UPDATE left
unchanged is written as the bare token ``unchanged-toast-datum``: the reader keeps the
previous value. A DELETE carries the replica identity (``tenant_id``, ``id``); its other
columns are NULL.

Files are written to a temporary name, fsynced, renamed and the folder fsynced: a file
that exists is complete and durable, which is what allows the consumer to confirm the
slot position afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdc.decoding import TOAST_TOKEN, UNCHANGED_TOAST, Value

OP_COLUMN = "Op"
TIMESTAMP_COLUMN = "commit_timestamp"
SEQ_COLUMN = "change_seq"
META_COLUMNS = (OP_COLUMN, TIMESTAMP_COLUMN, SEQ_COLUMN)
FILE_TIME_FORMAT = "%Y%m%d-%H%M%S-%f"


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CsvSink:
    """Durable, atomic CSV files per table and flush."""

    suffix = ".csv"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.files_written = 0

    def table_dir(self, schema: str, table: str) -> Path:
        return self.root / schema / table

    def write(self, schema: str, table: str, columns: Sequence[str], rows: list[OutRow]) -> Path:
        folder = self.table_dir(schema, table)
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _fsync_dir(folder.parent)
        tmp = folder / f".{os.getpid()}.tmp"
        self._write_tmp(tmp, columns, rows)
        # Named after the moment it became durable: the lag measure is commit → this name.
        stamp = dt.datetime.now(dt.UTC).strftime(FILE_TIME_FORMAT)
        final = folder / f"{stamp}{self.suffix}"
        counter = 0
        while final.exists():
            counter += 1
            final = folder / f"{stamp}-{counter}{self.suffix}"
        os.replace(tmp, final)
        _fsync_dir(folder)
        self.files_written += 1
        return final

    def _write_tmp(self, tmp: Path, columns: Sequence[str], rows: list[OutRow]) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(format_csv(columns, rows))
            handle.flush()
            os.fsync(handle.fileno())


class ParquetSink(CsvSink):
    """The same files as Parquet (all columns strings); needs the ``parquet`` extra (pyarrow)."""

    suffix = ".parquet"

    def __init__(self, root: Path) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise RuntimeError("Parquet output needs pyarrow: pip install '.[parquet]'") from exc
        super().__init__(root)

    def _write_tmp(self, tmp: Path, columns: Sequence[str], rows: list[OutRow]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def text(value: Value) -> str | None:
            return TOAST_TOKEN if value is UNCHANGED_TOAST else value  # type: ignore[return-value]

        data = {
            OP_COLUMN: [r.op for r in rows],
            TIMESTAMP_COLUMN: [r.commit_timestamp for r in rows],
            SEQ_COLUMN: [r.change_seq for r in rows],
            **{c: [text(r.values.get(c)) for r in rows] for c in columns},
        }
        table = pa.table({name: pa.array(values, type=pa.string()) for name, values in data.items()})
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())


@dataclass(frozen=True)
class ReadRow:
    schema: str
    table: str
    op: str
    commit_timestamp: str
    change_seq: str
    written_at: dt.datetime
    values: dict[str, str]


def file_written_at(path: Path) -> dt.datetime:
    stem = path.stem
    parts = stem.split("-")
    return dt.datetime.strptime("-".join(parts[:3]), FILE_TIME_FORMAT).replace(tzinfo=dt.UTC)


def read_rows(root: Path) -> Iterator[ReadRow]:
    """Every row of every CSV or Parquet file under ``root`` (what a lake loader would read).

    NULL reads as ``""`` from both formats (CSV's reader cannot tell them apart).
    """
    root = Path(root)
    for path in sorted(root.glob("*/*/*.parquet")):
        yield from _read_parquet(path)
    for path in sorted(root.glob("*/*/*.csv")):
        schema, table = path.parent.parent.name, path.parent.name
        written = file_written_at(path)
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for record in reader:
                yield _read_row(schema, table, written, dict(zip(header, record, strict=True)))


def _read_parquet(path: Path) -> Iterator[ReadRow]:
    import pyarrow.parquet as pq

    schema, table = path.parent.parent.name, path.parent.name
    written = file_written_at(path)
    for record in pq.read_table(path).to_pylist():
        yield _read_row(schema, table, written, {name: "" if v is None else v for name, v in record.items()})


def _read_row(schema: str, table: str, written: dt.datetime, data: dict[str, str]) -> ReadRow:
    """Split a file row into its DMS metadata columns and the table's values."""
    return ReadRow(schema, table, data.pop(OP_COLUMN), data.pop(TIMESTAMP_COLUMN), data.pop(SEQ_COLUMN),
                   written, data)
