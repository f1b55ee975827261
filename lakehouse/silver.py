"""Silver: the current state of every table, merged from the landed changes in DuckDB.

Why it is correct whatever order the files arrive in:

* every Silver row keeps the change sequence that produced it, and a deleted key stays as a
  tombstone (``_deleted``), so a late file carrying an *older* change for a key loses against
  the newer one already applied instead of resurrecting it;
* within a batch the latest change per key wins (``row_number() … ORDER BY change_seq DESC``,
  ties broken by file and row: a tie can only be a replayed copy of the same change), so an
  insert → delete → re-insert of one key inside one batch ends with the re-insert;
* a change is applied only if its sequence is greater than the key's, so replaying a file,
  or running the build twice, changes nothing (idempotent);
* each table's batch, its Bronze registrations and its watermark commit in one transaction:
  a crash leaves the files unregistered and the next run reads them again.

The watermark (the greatest sequence applied per table) is reported and timestamps freshness;
correctness for late files rests on the per-key sequence, not on the watermark alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from cdc.landing import CHANGE_SEQ_COLUMN, OP_COLUMN, TIMESTAMP_COLUMN
from lakehouse import sql
from lakehouse.landing import LandedFile
from lakehouse.schema import TableSpec

logger = logging.getLogger(__name__)
DATABASE_FILE = "lake.duckdb"


class SilverError(ValueError):
    """Landed rows that cannot be applied (bad operation, sequence or lost TOAST value)."""


@dataclass
class MergeStats:
    table: str
    files: int = 0
    rows: int = 0
    applied: int = 0
    replaced: int = 0
    deleted: int = 0
    appended_only: bool = True


def connect(warehouse: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse database (created on first use), in UTC."""
    warehouse = Path(warehouse)
    warehouse.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse / DATABASE_FILE), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        con.execute(sql.META_DDL)
    return con


def ensure_tables(con: duckdb.DuckDBPyConnection, specs: list[TableSpec]) -> None:
    for spec in specs:
        con.execute(sql.state_ddl(spec))
        con.execute(sql.silver_view_ddl(spec))


def registered(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {(uri, etag) for uri, etag in con.execute(sql.REGISTERED_FILES).fetchall()}


def next_build_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(sql.NEXT_BUILD_ID).fetchall()[0][0]


def _batch(spec: TableSpec, parts: list[tuple[LandedFile, pa.Table]]) -> pa.Table:
    """One Arrow table for the batch, with the file ordinal, the row ordinal and a CDC flag."""
    tables = []
    for ordinal, (file, table) in enumerate(parts):
        n = table.num_rows
        tables.append(table.append_column("_file", pa.array([ordinal] * n, pa.int32()))
                      .append_column("_row", pa.array(range(n), pa.int64()))
                      .append_column("_cdc", pa.array([file.kind == "cdc"] * n, pa.bool_())))
    return pa.concat_tables(tables)


def merge(con: duckdb.DuckDBPyConnection, spec: TableSpec, parts: list[tuple[LandedFile, pa.Table]],
          build_id: int) -> MergeStats:
    """Apply one table's new files to Silver and register them, in one transaction."""
    stats = MergeStats(spec.name, files=len(parts))
    batch = _batch(spec, parts)
    stats.rows = batch.num_rows
    con.execute("BEGIN")
    try:
        con.register("stg_in", batch)
        con.execute(sql.staging_sql(spec, "stg_in", OP_COLUMN, TIMESTAMP_COLUMN, CHANGE_SEQ_COLUMN))
        bad_op, bad_seq, no_key = con.execute(sql.staging_problems_sql(spec)).fetchall()[0]
        if bad_op or bad_seq or no_key:
            raise SilverError(f"{spec.name}: {bad_op} rows with an unknown Op, {bad_seq} with a malformed "
                              f"change sequence, {no_key} without a key")
        counts = con.execute(sql.toast_columns_sql(spec)).fetchall()[0]
        toast = [name for name, n in zip(spec.column_names, counts, strict=True) if n]
        if toast:
            con.execute(sql.toast_carry_sql(spec, toast))
        con.execute(sql.winners_sql(spec, toast))
        applied, replaced, deleted, orphans = con.execute(sql.WINNER_STATS).fetchall()[0]
        if orphans:
            raise SilverError(f"{spec.name}: {orphans} updates keep an unchanged TOAST value of a row Silver "
                              "does not have (a missing earlier change)")
        con.execute(sql.delete_replaced_sql(spec))
        con.execute(sql.insert_winners_sql(spec))
        _register(con, spec, parts, build_id)
        con.execute(sql.WATERMARK_UPSERT, [spec.name, spec.name])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    visible = time.time()
    con.execute(sql.FRESHNESS_INSERT, [build_id, spec.name, visible])
    con.unregister("stg_in")
    stats.applied, stats.replaced, stats.deleted = applied, replaced, deleted
    stats.appended_only = replaced == 0 and deleted == 0
    logger.info("silver %s: %s rows in %s files, %s applied", spec.name, stats.rows, stats.files, applied)
    return stats


def _register(con: duckdb.DuckDBPyConnection, spec: TableSpec, parts: list[tuple[LandedFile, pa.Table]],
              build_id: int) -> None:
    rows = con.execute(sql.STAGED_FILES).fetchall()
    per_file = {ordinal: (n, lo, hi) for ordinal, n, lo, hi in rows}
    records = []
    for ordinal, (file, _table) in enumerate(parts):
        n, lo, hi = per_file.get(ordinal, (0, None, None))
        records.append((file.uri, file.etag, file.schema, file.table, file.name, file.kind, file.size, n, lo, hi,
                        build_id))
    con.executemany(sql.REGISTER_FILE, records)


def register_empty(con: duckdb.DuckDBPyConnection, files: list[LandedFile], build_id: int) -> None:
    """Files with no rows (a table with nothing to load) are registered so they are not re-read."""
    if not files:
        return
    con.executemany(sql.REGISTER_FILE,
                    [(f.uri, f.etag, f.schema, f.table, f.name, f.kind, f.size, 0, None, None, build_id)
                     for f in files])

