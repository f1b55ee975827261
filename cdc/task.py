"""One local DMS task: full load (once) then CDC, resumable, into a landing store.

State lives with the data, in ``<root>/_dms_task_state.json`` (:data:`cdc.landing.STATE_KEY`)
plus the slot itself:

* ``full_load.status = "running"`` — a load was cut short. Its snapshot died with its
  connection, so the partial LOAD files and the slot are dropped and the load starts over
  (a new slot, a new snapshot): nothing half-loaded is ever continued.
* ``full_load.status = "done"`` — the load is complete; the next run goes straight to CDC,
  from the slot's confirmed position. ``cdc.flushed_lsn`` is what was last made durable, so
  replays after a crash are recognised and counted.
* ``full_load.status = "skipped"`` — a CDC-only task (``cdc_tail``).

A target belongs to one slot: a state naming another slot is refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cdc.catalog import load_catalog
from cdc.consumer import DEFAULT_BATCH_INTERVAL, DEFAULT_MIN_FILE_SIZE_KB, Consumer, format_lsn
from cdc.fullload import (
    DEFAULT_MAX_FILE_SIZE_KB,
    create_slot_with_snapshot,
    estimate_rows,
    export_table,
    snapshot_connection,
)
from cdc.landing import (
    CSV_NULL_VALUE,
    STATE_KEY,
    TIMESTAMP_COLUMN,
    LandingError,
    Store,
    commit_time,
    landing_files,
    load_state,
    save_state,
    split_s3_url,
)
from cdc.mapping import table_filter
from cdc.progress import Progress
from cdc.sink import LandingSink
from cdc.slots import create_slot, drop_slot, list_slots, replication_sql_connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class S3Profile:
    """The settings that both ``dms_task`` and ``dms_config`` (the DMS S3 endpoint) are made from."""

    target: str = "landing"
    fmt: str = "parquet"
    batch_interval: float = DEFAULT_BATCH_INTERVAL
    min_file_size_kb: int = DEFAULT_MIN_FILE_SIZE_KB
    max_file_size_kb: int = DEFAULT_MAX_FILE_SIZE_KB

    def endpoint_settings(self) -> dict[str, Any]:
        """AWS DMS ``S3Settings`` that make DMS land what this task lands."""

        bucket, folder = (split_s3_url(self.target) if self.target.startswith("s3://")
                          else ("<your-bucket>", self.target.strip("/")))
        settings: dict[str, Any] = {
            "BucketName": bucket, "BucketFolder": folder,
            "DataFormat": self.fmt,
            "IncludeOpForFullLoad": True, "CdcInsertsOnly": False, "CdcInsertsAndUpdates": False,
            "TimestampColumnName": TIMESTAMP_COLUMN,
            "CdcMaxBatchInterval": int(self.batch_interval), "CdcMinFileSize": self.min_file_size_kb,
            "MaxFileSize": self.max_file_size_kb,
            "DatePartitionEnabled": False, "PreserveTransactions": False,
        }
        if self.fmt == "parquet":
            settings.update({"ParquetVersion": "parquet-2-0", "ParquetTimestampInMillisecond": True,
                             "EnableStatistics": True})
        else:
            settings.update({"AddColumnName": True, "CsvDelimiter": ",", "CsvRowDelimiter": "\\n",
                             "CsvNullValue": CSV_NULL_VALUE, "AddTrailingPaddingCharacter": False})
        return settings


@dataclass
class TaskResult:
    slot: str
    target: str
    full_load: dict[str, Any] = field(default_factory=dict)
    cdc: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"slot": self.slot, "target": self.target, "full_load": self.full_load, "cdc": self.cdc}


def _slot_exists(slot: str, dbname: str) -> bool:
    return any(s.slot_name == slot for s in list_slots(dbname))


def _start_over(store: Store, slot: str, dbname: str, tables: set[tuple[str, str]]) -> None:
    """Undo an interrupted full load: its files and its slot."""
    for landed in landing_files(store):
        if (landed.schema, landed.table) in tables:
            store.delete(landed.key)
    drop_slot(slot, dbname)


def run_full_load(store: Store, slot: str, dbname: str, profile: S3Profile, catalog: dict, *,
                  verbosity: int = 1, log: Callable[[str], None] = logger.info,
                  on_table_done: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    state = {"slot": slot, "format": profile.fmt,
             "full_load": {"status": "running", "started_at": commit_time(dt.datetime.now(dt.UTC))}}
    save_state(store, state)
    started = time.monotonic()
    cut = create_slot_with_snapshot(slot, dbname)
    tables: dict[str, Any] = {}
    try:
        conn = snapshot_connection(dbname, cut.snapshot)
        try:
            log(f"slot {slot} created at {format_lsn(cut.lsn)}; full load of {len(catalog)} tables "
                f"in snapshot {cut.snapshot}")
            for (schema, table), info in sorted(catalog.items()):
                progress = Progress(f"full load {schema}.{table}",
                                    total=(estimate_rows(conn, info) or None) if verbosity > 0 else None,
                                    verbosity=verbosity, log=log)
                try:
                    loaded = export_table(conn, store, profile.fmt, info, cut.lsn,
                                          max_file_size=profile.max_file_size_kb * 1024, progress=progress)
                finally:
                    progress.close()
                tables[f"{schema}.{table}"] = {"rows": loaded.rows, "files": loaded.files, "bytes": loaded.bytes}
                if verbosity > 1:
                    log(f"  {schema}.{table}: {loaded.rows:,} rows in {loaded.files} file(s)")
                if on_table_done is not None:
                    on_table_done(schema, table)
            conn.rollback()
        finally:
            conn.close()
    finally:
        cut.close()
    store.sync()  # every LOAD file's folder entry durable before the load says it is done
    seconds = time.monotonic() - started
    rows = sum(t["rows"] for t in tables.values())
    state["full_load"] = {
        "status": "done", "snapshot_lsn": format_lsn(cut.lsn), "snapshot": cut.snapshot,
        "started_at": state["full_load"]["started_at"], "finished_at": commit_time(dt.datetime.now(dt.UTC)),
        "seconds": round(seconds, 3), "rows": rows, "files": sum(t["files"] for t in tables.values()),
        "bytes": sum(t["bytes"] for t in tables.values()), "tables": tables,
    }
    save_state(store, state)
    return state["full_load"]


def prepare(store: Store, slot: str, dbname: str, *, full_load: bool, fmt: str) -> dict[str, Any] | None:
    """Check the target against the slot before any work; returns the existing state (or None)."""
    store.check_writable()
    state = load_state(store)
    if state is not None and state.get("format") not in (None, fmt):
        raise LandingError(f"{store.description} holds {state.get('format')} files; run with --format "
                           f"{state.get('format')} (one landing, one format).")
    if state is not None and state.get("full_load", {}).get("status") != "running" \
            and not _slot_exists(slot, dbname):
        raise LandingError(f"Slot {slot!r} of {store.description} no longer exists, so the changes since its "
                           "last run cannot be streamed (a new slot would leave a gap); land a new full load "
                           "into a new target.")
    if state is not None and state.get("slot") not in (None, slot):
        raise LandingError(f"{store.description} belongs to slot {state.get('slot')!r}, not {slot!r} "
                           f"(see {STATE_KEY}); use that slot or another target.")
    if state is None and full_load and _slot_exists(slot, dbname):
        raise LandingError(f"Slot {slot!r} already exists but {store.description} has no task state: its "
                           f"position does not match a full load there; drop it (cdc_slots --drop {slot}) or "
                           "choose another slot.")
    if state is not None and full_load and state.get("full_load", {}).get("status") == "skipped":
        raise LandingError(f"{store.description} holds a CDC-only stream (cdc_tail); a full load needs a new target.")
    return state


def run_task(store: Store, slot: str, dbname: str, profile: S3Profile, *, once: bool = False,
             full_load: bool = True, should_stop: Callable[[], bool] = lambda: False,
             drain_on_stop: bool = False, tables: set[tuple[str, str]] | None = None, verbosity: int = 1,
             log: Callable[[str], None] = logger.info, create: bool = True,
             on_table_done: Callable[[str, str], None] | None = None) -> TaskResult:

    selected = tables if tables is not None else table_filter()
    state = prepare(store, slot, dbname, full_load=full_load, fmt=profile.fmt)
    conn = replication_sql_connection(dbname)
    try:
        catalog = load_catalog(conn, selected)
    finally:
        conn.close()
    result = TaskResult(slot, store.description)
    status = (state or {}).get("full_load", {}).get("status")
    if full_load and status != "done":
        if status == "running":
            log("the previous full load was interrupted: dropping its files and slot, starting over")
            _start_over(store, slot, dbname, selected)
        result.full_load = run_full_load(store, slot, dbname, profile, catalog, verbosity=verbosity, log=log,
                                         on_table_done=on_table_done)
        log(f"full load: {result.full_load['rows']:,} rows in {result.full_load['files']} files "
            f"({result.full_load['seconds']} s)")
    elif full_load:
        result.full_load = {**state["full_load"], "status": "done (earlier run)"}
    else:
        if create and create_slot(slot, dbname):
            log(f"created slot {slot} (test_decoding)")
        if state is None:
            save_state(store, {"slot": slot, "format": profile.fmt, "full_load": {"status": "skipped"}})
    consumer = Consumer(slot, sink=LandingSink(store, profile.fmt, catalog), dbname=dbname,
                        batch_interval=profile.batch_interval, min_file_size=profile.min_file_size_kb * 1024,
                        log=log, verbosity=verbosity)
    stats = consumer.run(once=once, should_stop=should_stop, drain_on_stop=drain_on_stop)
    result.cdc = stats.as_dict()
    return result
