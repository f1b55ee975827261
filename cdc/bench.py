"""The full-load export against a raw ``COPY … TO`` of the same tables into the same format.

Both sides run in the same process, on the same server and disk, in alternation, ``repeat``
times; the figure is the ratio of medians (reference seconds / export seconds: 1.0 means
the task costs nothing over a bare COPY, the target is ≥ 0.8).

* reference, CSV: ``COPY schema.table TO STDOUT (FORMAT csv)`` straight into a file;
* reference, Parquet: the same COPY read by pyarrow's CSV reader (all columns as strings,
  no types) and written with ``pyarrow.parquet.write_table``;
* export: :func:`cdc.task.run_full_load` — a new slot with an exported snapshot, typed
  columns, the meta columns, DMS's LOAD files — into a scratch folder; the slot is dropped.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from psycopg2 import sql

from cdc.catalog import load_catalog
from cdc.landing import FolderStore
from cdc.mapping import table_filter
from cdc.slots import drop_slot, replication_sql_connection
from cdc.sql import SESSION_SQL, raw_copy_table
from cdc.task import S3Profile, run_full_load


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def reference_copy(dbname: str, tables: list[tuple[str, str]], fmt: str, out: Path) -> dict[str, Any]:
    conn = replication_sql_connection(dbname)
    started = time.perf_counter()
    try:
        with conn.cursor() as cursor:
            for statement in SESSION_SQL:
                cursor.execute(statement)
            for schema, table in tables:
                csv_path = out / f"{schema}.{table}.csv"
                with open(csv_path, "wb") as handle:
                    cursor.copy_expert(raw_copy_table(schema, table), handle, size=1 << 20)
                if fmt == "parquet":
                    if csv_path.stat().st_size:
                        names = [f"c{i}" for i in range(_column_count(cursor, schema, table))]
                        data = pcsv.read_csv(csv_path, read_options=pcsv.ReadOptions(column_names=names),
                                             parse_options=pcsv.ParseOptions(newlines_in_values=True),
                                             convert_options=pcsv.ConvertOptions(
                                                 column_types=dict.fromkeys(names, "string")))
                        pq.write_table(data, out / f"{schema}.{table}.parquet")
                    csv_path.unlink()
    finally:
        conn.close()
    return {"seconds": time.perf_counter() - started, "bytes": _folder_bytes(out)}


def _column_count(cursor: Any, schema: str, table: str) -> int:
    cursor.execute(sql.SQL("SELECT * FROM {}.{} LIMIT 0").format(sql.Identifier(schema), sql.Identifier(table)))
    return len(cursor.description)


def task_export(dbname: str, fmt: str, out: Path) -> dict[str, Any]:
    conn = replication_sql_connection(dbname)
    try:
        catalog = load_catalog(conn, table_filter())
    finally:
        conn.close()
    slot = f"bench_{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    try:
        load = run_full_load(FolderStore(out), slot, dbname, S3Profile(fmt=fmt), catalog, verbosity=0,
                             log=lambda _m: None)
    finally:
        drop_slot(slot, dbname)
    return {"seconds": time.perf_counter() - started, "bytes": _folder_bytes(out), "rows": load["rows"],
            "files": load["files"]}


def run_bench(dbname: str, fmt: str = "parquet", repeat: int = 3) -> dict[str, Any]:
    tables = sorted(table_filter())
    references, exports = [], []
    rows = files = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench_ref_") as scratch:
            references.append(reference_copy(dbname, tables, fmt, Path(scratch)))
        with tempfile.TemporaryDirectory(prefix="bench_task_") as scratch:
            measured = task_export(dbname, fmt, Path(scratch))
            rows, files = measured["rows"], measured["files"]
            exports.append(measured)
    ref_s = statistics.median(r["seconds"] for r in references)
    exp_s = statistics.median(e["seconds"] for e in exports)
    return {
        "database": dbname, "format": fmt, "repeat": repeat, "tables": len(tables), "rows": rows,
        "export": {"median_seconds": round(exp_s, 3), "rows_per_second": round(rows / exp_s) if exp_s else None,
                   "bytes": exports[-1]["bytes"], "files": files,
                   "runs_seconds": [round(e["seconds"], 3) for e in exports]},
        "reference_raw_copy": {"median_seconds": round(ref_s, 3),
                               "rows_per_second": round(rows / ref_s) if ref_s else None,
                               "bytes": references[-1]["bytes"],
                               "runs_seconds": [round(r["seconds"], 3) for r in references]},
        "throughput_ratio_vs_raw_copy": round(ref_s / exp_s, 3) if exp_s else None,
        "target_ratio": 0.8,
    }
