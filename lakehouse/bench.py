"""The lake benchmark: full build + verify on the current world, and an incremental build.

Each figure comes with a reference measured in the same run:

* ``reference_read_seconds``: reading every landed file into Arrow and nothing else (the
  floor any build pays), so ``build_to_read_ratio`` says what Silver, Iceberg and Gold add;
* ``reference_copy_seconds``: the ``COPY … TO`` full load that produced the landing (when the
  benchmark made it), the cost of getting the same bytes out of PostgreSQL;
* the incremental build lands a CDC batch of ``changes`` rows made from Silver itself
  (updates of orders and customers, inserts of events: the mix ``simulate_activity`` makes)
  into a copy of the warehouse, so the measured build sees exactly that batch.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lakehouse import sql
from lakehouse.build import build as build_lake
from lakehouse.landing import open_landing, read_landed
from lakehouse.schema import spec_map, table_specs
from lakehouse.silver import connect
from lakehouse.snapshot import copy_full_load
from lakehouse.verify import verify

TARGET_FULL_SECONDS = 30.0
TARGET_INCREMENTAL_SECONDS = 5.0
#: Which tables the synthetic batch touches, and how: the shape of simulated activity.
CHANGE_MIX = (("models_app_order", "U", 0.5), ("models_app_customer", "U", 0.2), ("models_app_event", "I", 0.3))


def _timed(fn, *args, **kwargs) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def read_all(landing_root: str) -> int:
    """Rows of every landed file, read into Arrow (the reference)."""
    specs = spec_map()
    landing = open_landing(landing_root)
    rows = 0
    for file in landing.list_files():
        rows += read_landed(landing.read_bytes(file), file, specs[file.table].column_names).num_rows
    return rows


def synthetic_batch(warehouse: Path, root: Path, changes: int) -> int:
    """Write one CDC file per table of CHANGE_MIX, made from Silver; returns the rows written."""
    specs = spec_map()
    con = connect(warehouse, read_only=True)
    written = 0
    try:
        next_seq = int(con.execute(sql.MAX_WATERMARK).fetchall()[0][0] or 0) + 1
        for index, (table, op, share) in enumerate(CHANGE_MIX):
            spec = specs[table]
            n = max(1, int(changes * share))
            data = con.sql(sql.synthetic_changes_sql(spec, op, n)).to_arrow_table()
            seqs = pa.array([str(next_seq + i).zfill(sql.SEQ_WIDTH) for i in range(data.num_rows)], pa.string())
            next_seq += data.num_rows
            data = data.set_column(data.schema.get_field_index("change_seq"), "change_seq", seqs)
            folder = root / spec.schema / table
            folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"{index:04d}"
            pq.write_table(data, folder / f"{stamp}.parquet")
            written += data.num_rows
    finally:
        con.close()
    return written


def run(conn, work: Path, *, landing: str | None = None, changes: int = 1000) -> dict[str, Any]:
    """The whole benchmark; ``conn`` is a replication-role connection to the seeded source."""
    work = Path(work)
    specs = table_specs()
    out: dict[str, Any] = {"target_full_seconds": TARGET_FULL_SECONDS,
                           "target_incremental_seconds": TARGET_INCREMENTAL_SECONDS}
    if landing is None:
        root = work / "landing"
        shutil.rmtree(root, ignore_errors=True)
        _, out["reference_copy_seconds"] = _timed(copy_full_load, conn, specs, root)
        landing = str(root)
    out["landing"] = landing
    out["rows_landed"], out["reference_read_seconds"] = _timed(read_all, landing)
    warehouse = work / "warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    report, out["build_seconds"] = _timed(build_lake, landing, warehouse)
    out["build_timings"] = report.timings
    out["rows_applied"] = report.rows_applied
    verified, out["verify_seconds"] = _timed(verify, conn, warehouse)
    out["verify_ok"] = verified.ok
    out["build_plus_verify_seconds"] = out["build_seconds"] + out["verify_seconds"]
    out["build_to_read_ratio"] = out["build_seconds"] / max(out["reference_read_seconds"], 1e-9)
    out["within_full_target"] = out["build_plus_verify_seconds"] <= TARGET_FULL_SECONDS

    incremental = work / "warehouse-incremental"
    shutil.rmtree(incremental, ignore_errors=True)
    shutil.copytree(warehouse, incremental)
    batch_root = work / "landing-incremental"
    shutil.rmtree(batch_root, ignore_errors=True)
    written = synthetic_batch(incremental, batch_root, changes)
    inc, seconds = _timed(build_lake, str(batch_root), incremental)
    out["incremental"] = {"changes": written, "seconds": seconds, "timings": inc.timings,
                          "rows_applied": inc.rows_applied, "within_target": seconds <= TARGET_INCREMENTAL_SECONDS}
    out["freshness"] = "not measured: lake_bench --freshness-seconds N runs dms_task and --follow together"
    return out
