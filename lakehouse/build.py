"""One build of the lake: Bronze (register the new landed files) → Silver → Iceberg → Gold.

Bronze is the landing area itself, as DMS wrote it: the build copies nothing and registers
each file it has read (uri + ETag, rows, sequence range) in ``lake_meta.bronze_files``. A
file already registered with the same ETag is not read again; a replayed copy under a new
name is read, and the merge ignores its rows (their sequences are not newer).

This module never connects to the source database: the lake knows only what was delivered.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse import gold, iceberg, silver, sql
from lakehouse.landing import LandedFile, LandingError, open_landing, read_landed
from lakehouse.schema import TableSpec, table_specs

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    build_id: int
    seconds: float = 0.0
    files_seen: int = 0
    files_read: int = 0
    rows_read: int = 0
    rows_applied: int = 0
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    iceberg_rows: dict[str, int] = field(default_factory=dict)
    gold_metrics: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.rows_applied > 0


def build(landing_root: str, warehouse: Path, *, s3_endpoint: str | None = None, with_iceberg: bool = True,
          with_gold: bool = True, specs: list[TableSpec] | None = None) -> BuildReport:
    """Bring the warehouse up to what has landed; safe to run any number of times."""
    started = time.perf_counter()
    specs = table_specs() if specs is None else specs
    by_name = {spec.name: spec for spec in specs}
    landing = open_landing(landing_root, s3_endpoint=s3_endpoint)
    con = silver.connect(warehouse)
    try:
        silver.ensure_tables(con, specs)
        build_id = silver.next_build_id(con)
        report = BuildReport(build_id)
        files = landing.list_files()
        report.files_seen = len(files)
        known = silver.registered(con)
        new: dict[str, list[LandedFile]] = defaultdict(list)
        for file in files:
            if file.table not in by_name:
                raise LandingError(f"{file.uri}: {file.schema}.{file.table} is not a replicated table")
            if (file.uri, file.etag) not in known:
                new[file.table].append(file)
        cat = iceberg.catalog(warehouse) if with_iceberg else None
        timings: dict[str, float] = defaultdict(float)
        for name in sorted(new):
            spec = by_name[name]
            t0 = time.perf_counter()
            parts = [(f, read_landed(landing.read_bytes(f), f, spec.column_names)) for f in new[name]]
            timings["read"] += time.perf_counter() - t0
            report.files_read += len(parts)
            non_empty = [(f, t) for f, t in parts if t.num_rows]
            silver.register_empty(con, [f for f, t in parts if not t.num_rows], build_id)
            if not non_empty:
                continue
            t0 = time.perf_counter()
            stats = silver.merge(con, spec, non_empty, build_id)
            timings["silver"] += time.perf_counter() - t0
            report.rows_read += stats.rows
            report.rows_applied += stats.applied
            report.tables[name] = {"files": stats.files, "rows": stats.rows, "applied": stats.applied,
                                   "replaced": stats.replaced, "deleted": stats.deleted}
            if cat is not None and stats.applied:
                t0 = time.perf_counter()
                report.iceberg_rows[name] = iceberg.export(con, cat, spec, appended_only=stats.appended_only)
                timings["iceberg"] += time.perf_counter() - t0
        if with_gold and (report.changed or not _gold_exists(con)):
            t0 = time.perf_counter()
            report.gold_metrics = len(gold.build_gold(con))
            timings["gold"] += time.perf_counter() - t0
        report.seconds = time.perf_counter() - started
        report.timings = {k: round(v, 3) for k, v in timings.items()}
        con.execute(sql.BUILD_LOG_INSERT,
                    [build_id, report.seconds, report.files_read, report.rows_read, report.rows_applied])
        return report
    finally:
        con.close()


def _gold_exists(con) -> bool:
    return bool(con.execute(sql.GOLD_EXISTS).fetchall()[0][0])


def follow(landing_root: str, warehouse: Path, *, interval: float = 1.0, max_seconds: float | None = None,
           s3_endpoint: str | None = None, on_build: Callable[[BuildReport], None] | None = None,
           until: Callable[[], bool] | None = None, with_iceberg: bool = True, with_gold: bool = True) -> int:
    """Build, then poll for new files every ``interval`` seconds (until Ctrl-C, ``max_seconds`` or ``until()``)."""
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    builds = 0
    while True:
        report = build(landing_root, warehouse, s3_endpoint=s3_endpoint, with_iceberg=with_iceberg,
                       with_gold=with_gold)
        builds += 1
        if on_build is not None:
            on_build(report)
        if (deadline is not None and time.monotonic() >= deadline) or (until is not None and until()):
            return builds
        time.sleep(interval)
