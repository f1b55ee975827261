"""The full-load half of the local DMS task: an exact cut, streamed into LOAD files.

The cut: the slot is created on a replication connection with ``(SNAPSHOT 'export')``,
which returns the slot's consistent point and the name of a snapshot taken at exactly
that point (as Debezium does). Every selected table is then read in that snapshot
(``SET TRANSACTION SNAPSHOT`` in a REPEATABLE READ transaction of a second connection)
while the first connection stays open (closing it would release the snapshot).
A transaction that committed before the consistent point is in the snapshot; one that
committed after it is in the slot; none is in both. So LOAD files + CDC files equal the
database at any later LSN: no gap, no overlap.

Speed: ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` streams through a pipe into pyarrow's
incremental CSV reader (a producer thread, so PostgreSQL's output and the conversion
overlap), each block is typed by :func:`cdc.arrowtypes.to_arrow` and appended to the
current LOAD file; a file is closed once it reaches ``max_file_size`` bytes (DMS's
``MaxFileSize``, default 1 GB) and the next number starts.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg2
import psycopg2.extras
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from psycopg2 import sql

from cdc.arrowtypes import PARQUET_WRITE_OPTIONS, TableSchema, to_arrow
from cdc.consumer import parse_lsn
from cdc.landing import META_COLUMNS, Store, change_seq, commit_time, load_file_name, table_key
from cdc.progress import Progress
from cdc.slots import validate_slot_name
from cdc.sql import (
    BEGIN_SNAPSHOT_SQL,
    ESTIMATE_SQL,
    SESSION_SQL,
    SET_SNAPSHOT_SQL,
    copy_table,
    copy_table_csv,
    create_slot_command,
)
from project.database import connect, role_url

#: DMS's ``MaxFileSize`` default: 1,048,576 KB.
DEFAULT_MAX_FILE_SIZE_KB = 1_048_576
PIPE_BUFFER = 1 << 20


@dataclass
class SnapshotSlot:
    """A new slot and the exported snapshot at its consistent point (valid while ``conn`` is open)."""

    conn: Any
    slot: str
    lsn: int
    snapshot: str

    def close(self) -> None:
        self.conn.close()


def create_slot_with_snapshot(slot: str, dbname: str) -> SnapshotSlot:
    conn = psycopg2.connect(role_url("replication", dbname),
                            connection_factory=psycopg2.extras.LogicalReplicationConnection,
                            application_name=f"dms_task:{slot}:full-load")
    try:
        with conn.cursor() as cursor:
            cursor.execute(create_slot_command(validate_slot_name(slot)))
            name, consistent_point, snapshot, _plugin = cursor.fetchone()
    except BaseException:
        conn.close()
        raise
    return SnapshotSlot(conn, name, parse_lsn(consistent_point), snapshot)


def snapshot_connection(dbname: str, snapshot: str):
    """A replication-role connection inside the exported snapshot (read only; RLS refused, not applied)."""
    conn = connect("replication", dbname=dbname)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for statement in SESSION_SQL:
            cursor.execute(statement)
        cursor.execute(BEGIN_SNAPSHOT_SQL)
        cursor.execute(SET_SNAPSHOT_SQL, [snapshot])
    return conn


@dataclass
class TableLoad:
    rows: int = 0
    files: int = 0
    bytes: int = 0


def estimate_rows(conn, info: TableSchema) -> int:
    with conn.cursor() as cursor:
        cursor.execute(ESTIMATE_SQL, [sql.Identifier(info.schema, info.table).as_string(conn)])
        return int(cursor.fetchone()[0])


def _constant(value: str, n: int):
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))


class _RollingCsv:
    """A file-like sink for ``copy_expert``: PostgreSQL sends one CopyData message per row, so
    each ``write`` is whole rows; a new LOAD file (with its header) starts past ``max_file_size``."""

    def __init__(self, store: Store, prefix: str, header: bytes, max_file_size: int,
                 progress: Progress | None) -> None:
        self.store, self.prefix, self.header, self.max_file_size = store, prefix, header, max_file_size
        self.progress = progress
        self.result = TableLoad()
        self._stack = contextlib.ExitStack()
        self._handle: Any = None
        self._size = 0
        self._rows = 0

    def write(self, data: bytes) -> int:
        if self._handle is None:
            self.result.files += 1
            key = f"{self.prefix}/{load_file_name(self.result.files, 'csv')}"
            self._handle = self._stack.enter_context(self.store.writer(key, defer_dir_sync=True))
            self._handle.write(self.header)
            self._size = len(self.header)
        self._handle.write(data)
        self._size += len(data)
        self._rows += 1
        if self._size >= self.max_file_size:
            self.close()
        elif self._rows >= 50_000:
            self._count()
        return len(data)

    def _count(self) -> None:
        self.result.rows += self._rows
        if self.progress is not None and self._rows:
            self.progress.update(self._rows)
        self._rows = 0

    def close(self) -> None:
        if self._handle is not None:
            self._stack.close()  # durable: the next row opens the next number
            self._handle = None
            self.result.bytes += self._size
        self._count()

    def abort(self) -> None:
        self._stack.__exit__(RuntimeError, RuntimeError("aborted"), None)


def export_table_csv(conn, store: Store, info: TableSchema, snapshot_lsn: int, *,
                     max_file_size: int = DEFAULT_MAX_FILE_SIZE_KB * 1024, progress: Progress | None = None
                     ) -> TableLoad:
    """CSV: PostgreSQL's COPY output goes to the LOAD files as it is (no parsing, no re-encoding)."""

    header = io.StringIO()
    csv.writer(header, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow([*META_COLUMNS, *info.columns])
    sink = _RollingCsv(store, table_key(info.schema, info.table), header.getvalue().encode(), max_file_size,
                       progress)
    statement = copy_table_csv(info.schema, info.table, info.columns, info.pg_types, op="I",
                               stamp=commit_time(dt.datetime.now(dt.UTC)), seq=change_seq(snapshot_lsn, 0))
    try:
        with conn.cursor() as cursor:
            cursor.copy_expert(statement, sink, size=PIPE_BUFFER)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return sink.result


def export_table(conn, store: Store, fmt: str, info: TableSchema, snapshot_lsn: int, *,
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE_KB * 1024, progress: Progress | None = None
                 ) -> TableLoad:
    """Stream one table of the snapshot into ``LOAD00000001…`` files; returns counts."""
    if fmt == "csv":
        return export_table_csv(conn, store, info, snapshot_lsn, max_file_size=max_file_size, progress=progress)

    prefix = table_key(info.schema, info.table)
    seq = change_seq(snapshot_lsn, 0)
    schema = info.arrow_schema(META_COLUMNS) if fmt == "parquet" else pa.schema(
        [pa.field(name, pa.string()) for name in (*META_COLUMNS, *info.columns)])
    block = max(2 << 10, min(8 << 20, max_file_size // 2))  # small files in tests, 8 MB blocks at scale
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            with os.fdopen(write_fd, "wb", buffering=PIPE_BUFFER) as sink, conn.cursor() as cursor:
                cursor.copy_expert(copy_table(info.schema, info.table, info.columns, info.pg_types), sink,
                                   size=PIPE_BUFFER)
        except BrokenPipeError:
            pass  # the reader stopped (it failed, and says why)
        except BaseException as exc:
            failure.append(exc)

    producer = threading.Thread(target=produce, name=f"copy {prefix}", daemon=True)
    producer.start()
    result = TableLoad()
    try:
        with os.fdopen(read_fd, "rb", buffering=PIPE_BUFFER) as source, contextlib.ExitStack() as files:
            if source.peek(1):
                reader = pcsv.open_csv(
                    source,
                    read_options=pcsv.ReadOptions(column_names=list(info.columns), block_size=block),
                    parse_options=pcsv.ParseOptions(newlines_in_values=True),
                    convert_options=pcsv.ConvertOptions(
                        column_types={c: pa.string() for c in info.columns}, null_values=[""],
                        strings_can_be_null=True, quoted_strings_can_be_null=False),
                )
                writer: Any = None
                handle: Any = None
                stamp = ""
                for batch in reader:
                    if writer is None:
                        result.files += 1
                        handle = files.enter_context(
                            store.writer(f"{prefix}/{load_file_name(result.files, fmt)}", defer_dir_sync=True))
                        writer = (pq.ParquetWriter(handle, schema, **PARQUET_WRITE_OPTIONS) if fmt == "parquet"
                                  else pcsv.CSVWriter(handle, schema,
                                                      write_options=pcsv.WriteOptions(quoting_style="all_valid")))
                        stamp = commit_time(dt.datetime.now(dt.UTC))  # transfer time, as DMS's full load
                    n = batch.num_rows
                    columns = [_constant("I", n), _constant(stamp, n), _constant(seq, n)]
                    for i, kind in enumerate(info.pg_types):
                        values = batch.column(i)
                        columns.append(to_arrow(values, kind) if fmt == "parquet" else values)
                    writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
                    result.rows += n
                    if progress is not None:
                        progress.update(n)
                    if handle.tell() >= max_file_size:
                        writer.close()
                        result.bytes += handle.tell()
                        files.close()  # durable now: the next batch opens the next number
                        writer = None
                if writer is not None:
                    writer.close()
                    result.bytes += handle.tell()
            else:
                source.read()
    finally:
        producer.join()
    if failure:
        raise failure[0]
    return result
