"""The CDC half of the local DMS task: a ``test_decoding`` slot streamed to landing files.

Protocol: the replication role opens a walsender connection (psycopg2's
``LogicalReplicationConnection``), streams the slot and groups messages into transactions.
Complete transactions are buffered and written as DMS's S3 target batches them: one file
per table when ``batch_interval`` seconds (DMS's ``CdcMaxBatchInterval``, default 60) have
passed since the batch began, or the batch reached ``min_file_size`` bytes
(``CdcMinFileSize``, default 32,000 KB), or the run ends — never a file per transaction.
Only once the files are durable, and the task state records the position, is the last
commit's end LSN confirmed with ``send_feedback(flush_lsn=...)``. A crash of the consumer or
of PostgreSQL therefore loses nothing: unconfirmed transactions are sent again
(at-least-once). Replays are written again and *counted* as duplicates (their commit LSN is
not above the position recorded in the task state at start), never silently dropped; each
row carries the change sequence (commit LSN + ordinal) by which a loader deduplicates.

A slot whose WAL was removed (``wal_status = 'lost'``) is reported at once
(:class:`cdc.slots.SlotLost`), not retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import select
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extras

from cdc.catalog import load_catalog
from cdc.decoding import Begin, Change, Commit, parse_line
from cdc.landing import Store, change_seq, commit_time, load_state, open_store, save_state
from cdc.mapping import table_filter
from cdc.progress import Progress
from cdc.sink import LandingSink, OutRow
from cdc.slots import SlotLost, ensure_not_lost, lost_slot_message, replication_sql_connection
from cdc.workload.ledger import percentile
from project.database import current_database_name, role_url

#: test_decoding options: commit timestamps for the lag measure, no empty BEGIN/COMMIT pairs.
PLUGIN_OPTIONS = {"include-xids": "on", "include-timestamp": "on", "skip-empty-xacts": "on"}
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
#: DMS's defaults: ``CdcMaxBatchInterval`` (seconds) and ``CdcMinFileSize`` (kilobytes).
DEFAULT_BATCH_INTERVAL = 60.0
DEFAULT_MIN_FILE_SIZE_KB = 32_000


def is_connection_loss(exc: BaseException) -> bool:
    """Whether to reconnect: a lost server, or the slot still held by our previous walsender.

    psycopg2 reports a server that vanished mid-stream as a bare ``DatabaseError`` ("error with
    status PGRES_COPY_BOTH and no message"); a slot held by a dying walsender is ObjectInUse.
    """
    if "invalidated" in str(exc) or "can no longer get changes" in str(exc):
        return False  # a lost slot stays lost: reconnecting cannot help
    return (isinstance(exc, CONNECTION_ERRORS) or type(exc) is psycopg2.DatabaseError
            or isinstance(exc, psycopg2.errors.ObjectInUse))


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def default_dbname() -> str:
    return current_database_name()


def current_flush_lsn(dbname: str) -> int:
    """The server's flushed WAL position (every committed transaction ends at or before it)."""

    conn = replication_sql_connection(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
            return parse_lsn(cursor.fetchone()[0])
    finally:
        conn.close()


@dataclass
class Transaction:
    xid: int | None
    changes: list[Change] = field(default_factory=list)
    end_lsn: int = 0
    commit_ts: dt.datetime | None = None


@dataclass
class ConsumerStats:
    tables: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    transactions: int = 0
    rows: int = 0
    duplicate_rows: int = 0
    duplicate_transactions: int = 0
    truncates: int = 0
    #: Changes of tables the mapping does not select (never written; counted).
    ignored_rows: int = 0
    reconnects: int = 0
    files: int = 0
    flushes: int = 0
    lag_seconds: list[float] = field(default_factory=list)
    flushed_lsn: int = 0
    #: The position confirmed to the server (past flushed_lsn when only unselected changes followed).
    confirmed_lsn: int = 0
    ended_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": {table: dict(counts) for table, counts in sorted(self.tables.items())},
            "transactions": self.transactions, "rows": self.rows,
            "duplicate_rows": self.duplicate_rows, "duplicate_transactions": self.duplicate_transactions,
            "truncates_ignored": self.truncates, "ignored_rows": self.ignored_rows,
            "reconnects": self.reconnects, "files": self.files,
            "flushes": self.flushes, "flushed_lsn": format_lsn(self.flushed_lsn),
            "confirmed_lsn": format_lsn(max(self.confirmed_lsn, self.flushed_lsn)), "ended_by": self.ended_by,
            "lag_p50_seconds": percentile(self.lag_seconds, 50),
            "lag_p95_seconds": percentile(self.lag_seconds, 95),
        }



def open_sink(target: Path | str | Store, fmt: str, tables: set[tuple[str, str]] | None, dbname: str,
              endpoint_url: str | None = None) -> LandingSink:
    """The sink for ``tables`` (default: what the DMS table mapping selects), typed from the catalog."""

    store = target if not isinstance(target, str | Path) else open_store(target, endpoint_url=endpoint_url)
    conn = replication_sql_connection(dbname)
    try:
        catalog = load_catalog(conn, tables if tables is not None else table_filter())
    finally:
        conn.close()
    return LandingSink(store, fmt, catalog)


class Consumer:
    """Stream one slot into a landing store; see the module docstring for the guarantees."""

    def __init__(self, slot: str, target: Path | str | Store | None = None, *, dbname: str | None = None,
                 sink: LandingSink | None = None, fmt: str = "csv",
                 batch_interval: float = DEFAULT_BATCH_INTERVAL,
                 min_file_size: int = DEFAULT_MIN_FILE_SIZE_KB * 1024,
                 tables: set[tuple[str, str]] | None = None, reconnect_timeout: float = 120.0,
                 log: Callable[[str], None] = lambda _m: None, verbosity: int = 0) -> None:
        self.slot = slot
        self.dbname = dbname or default_dbname()
        if sink is None:
            if target is None:
                raise ValueError("Consumer needs a target or a sink")
            sink = open_sink(target, fmt, tables, self.dbname)
        self.sink = sink
        self.store = sink.store
        self.batch_interval = batch_interval
        self.min_file_size = min_file_size
        self.reconnect_timeout = reconnect_timeout
        self.log = log
        self.verbosity = verbosity
        self.stats = ConsumerStats()
        self._current: Transaction | None = None
        self._ready: list[Transaction] = []
        self._pending_bytes = 0
        self._batch_started: float | None = None
        self._confirmed = 0
        self._progress: Progress | None = None
        self._replay_horizon = self._load_horizon()

    # -- state --------------------------------------------------------------------------
    def _load_horizon(self) -> int:
        state = load_state(self.store) or {}
        try:
            return parse_lsn(state["cdc"]["flushed_lsn"])
        except (KeyError, TypeError, ValueError):
            return 0

    def _save_state(self) -> None:
        state = load_state(self.store) or {"slot": self.slot}
        cdc = state.setdefault("cdc", {})
        cdc.update({
            "flushed_lsn": format_lsn(max(self.stats.flushed_lsn, self._replay_horizon)),
            "files": int(cdc.get("files", 0)) + self._files_since_save,
            "rows": int(cdc.get("rows", 0)) + self._rows_since_save,
            "updated_at": commit_time(dt.datetime.now(dt.UTC)),
        })
        state.setdefault("slot", self.slot)
        state["format"] = self.sink.fmt
        save_state(self.store, state)
        self._files_since_save = self._rows_since_save = 0

    _files_since_save = 0
    _rows_since_save = 0

    # -- the loop -----------------------------------------------------------------------
    def run(self, *, once: bool = False, should_stop: Callable[[], bool] = lambda: False,
            drain_on_stop: bool = False, idle_grace: float = 5.0) -> ConsumerStats:
        """Stream until stopped (or, with ``once``, until the WAL present at start is consumed).

        ``should_stop`` is polled; with ``drain_on_stop`` a stop request first consumes every
        transaction committed before the request, so the caller knows nothing is left behind.
        """
        ensure_not_lost(self.slot, self.dbname)
        target: int | None = current_flush_lsn(self.dbname) if once else None
        outage_started: float | None = None
        self._progress = Progress(f"cdc {self.slot}", unit="rows", verbosity=self.verbosity, log=self.log)
        try:
            while True:
                try:
                    ended = self._stream(target, should_stop, drain_on_stop, idle_grace)
                    self.stats.ended_by = ended
                    return self.stats
                except psycopg2.DatabaseError as exc:
                    if not is_connection_loss(exc):
                        if "invalidated" in str(exc) or "can no longer get changes" in str(exc):
                            raise SlotLost(lost_slot_message(self.slot)) from exc
                        raise
                    # Unconfirmed transactions come again after reconnecting: drop the buffers. What
                    # was written before may come again too (the server may have lost our last
                    # confirmation in a crash): such replays count as duplicates.
                    self._current, self._ready, self._pending_bytes, self._batch_started = None, [], 0, None
                    self._replay_horizon = max(self._replay_horizon, self.stats.flushed_lsn)
                    now = time.monotonic()
                    outage_started = outage_started or now
                    if now - outage_started > self.reconnect_timeout:
                        raise
                    if should_stop() and not drain_on_stop:
                        self.stats.ended_by = "stopped during outage"
                        return self.stats
                    self.stats.reconnects += 1
                    self.log(f"replication connection lost ({str(exc).strip()[:100]}); reconnecting")
                    time.sleep(0.5)
                    with contextlib.suppress(psycopg2.OperationalError):  # still away: the next try says so
                        ensure_not_lost(self.slot, self.dbname)
                else:
                    outage_started = None
        finally:
            self._progress.close()

    def _connect(self):
        return psycopg2.connect(
            role_url("replication", self.dbname), connection_factory=psycopg2.extras.LogicalReplicationConnection,
            application_name=f"dms_task:{self.slot}", options="-c TimeZone=UTC",
        )

    def _due(self) -> bool:
        return bool(self._ready) and (
            self._pending_bytes >= self.min_file_size
            or (self._batch_started is not None and time.monotonic() - self._batch_started >= self.batch_interval))

    def _stream(self, target: int | None, should_stop: Callable[[], bool], drain_on_stop: bool,
                idle_grace: float) -> str:
        conn = self._connect()
        try:
            cursor = conn.cursor()
            cursor.start_replication(slot_name=self.slot, decode=True, options=PLUGIN_OPTIONS, status_interval=10)
            idle_since = time.monotonic()
            last_ping = 0.0
            while True:
                message = cursor.read_message()
                if message is not None:
                    self._handle(message)
                    idle_since = time.monotonic()
                    if self._due():
                        self._flush(cursor)
                    continue
                if self._due():
                    self._flush(cursor)
                self._confirm_idle(cursor)
                self._progress_tick()
                if target is None and should_stop():
                    if not drain_on_stop:
                        return self._finish(cursor, "stopped")
                    target = current_flush_lsn(self.dbname)
                    self.log(f"draining up to {format_lsn(target)}")
                if target is not None:
                    received = max(self._confirmed, cursor.wal_end, self._ready[-1].end_lsn if self._ready else 0)
                    if self._current is None and received >= target:
                        return self._finish(cursor, "drained")
                    now = time.monotonic()
                    if self._current is None and now - idle_since >= idle_grace:
                        return self._finish(cursor, "idle")
                    if now - last_ping >= 0.2:
                        cursor.send_feedback(reply=True)  # ask for a keepalive carrying wal_end
                        last_ping = now
                select.select([cursor], [], [], 0.1 if target is not None else 0.5)
        finally:
            conn.close()

    def _finish(self, cursor: Any, how: str) -> str:
        """Write and confirm what is complete before leaving (a clean stop loses no work)."""
        if self._ready:
            self._flush(cursor)
        self._confirm_idle(cursor)
        return how

    def _handle(self, message: Any) -> None:
        parsed = parse_line(message.payload)
        if isinstance(parsed, Begin):
            self._current = Transaction(parsed.xid)
        elif isinstance(parsed, Change):
            if self._current is None:
                self._current = Transaction(None)
            if parsed.op == "T":
                self.stats.truncates += 1  # DMS does not replicate TRUNCATE either
            elif self.sink.accepts(parsed.schema, parsed.table):
                self._current.changes.append(parsed)
                self._pending_bytes += len(message.payload)
            else:
                self.stats.ignored_rows += 1
        elif isinstance(parsed, Commit):
            txn = self._current or Transaction(parsed.xid)
            self._current = None
            if not txn.changes:
                return  # nothing selected: _confirm_idle covers its position
            txn.end_lsn = message.data_start
            txn.commit_ts = parsed.timestamp
            if not self._ready:
                self._batch_started = time.monotonic()
            self._ready.append(txn)

    def _flush(self, cursor: Any) -> None:
        by_table: dict[tuple[str, str], list[OutRow]] = defaultdict(list)
        for txn in self._ready:
            duplicate = txn.end_lsn <= self._replay_horizon
            stamp = commit_time(txn.commit_ts) if txn.commit_ts else ""
            self.stats.transactions += 1
            self.stats.duplicate_transactions += duplicate
            for ordinal, change in enumerate(txn.changes):
                by_table[(change.schema, change.table)].append(
                    OutRow(change.op, stamp, change_seq(txn.end_lsn, ordinal), change.values()))
                self.stats.tables[f"{change.schema}.{change.table}"][change.op] += 1
                self.stats.rows += 1
                self.stats.duplicate_rows += duplicate
        rows = sum(len(r) for r in by_table.values())
        for (schema, table), table_rows in sorted(by_table.items()):
            self.sink.write(schema, table, table_rows)
            self.stats.files += 1
        durable_at = time.time()
        self.stats.lag_seconds.extend(durable_at - t.commit_ts.timestamp() for t in self._ready if t.commit_ts)
        self.stats.flushed_lsn = max(self.stats.flushed_lsn, self._ready[-1].end_lsn)
        self._files_since_save += len(by_table)
        self._rows_since_save += rows
        self._save_state()
        # Durable first, confirmed second: this ordering is the at-least-once guarantee. force=True:
        # psycopg2 otherwise only records the position until the next status interval.
        cursor.send_feedback(flush_lsn=self.stats.flushed_lsn, force=True)
        self._confirmed = max(self._confirmed, self.stats.flushed_lsn)
        self.stats.flushes += 1
        self._ready, self._pending_bytes, self._batch_started = [], 0, None
        if self._progress is not None:
            self._progress.update(rows, extra=f"{self.stats.files} files, confirmed {format_lsn(self._confirmed)}")

    def _confirm_idle(self, cursor: Any) -> None:
        """Nothing buffered: confirm the server's position so an idle slot retains no WAL."""
        wal_end = cursor.wal_end
        if self._current is None and not self._ready and wal_end > self._confirmed:
            cursor.send_feedback(flush_lsn=wal_end, force=True)
            self._confirmed = wal_end
        self.stats.confirmed_lsn = self._confirmed

    def _progress_tick(self) -> None:
        """While idle too: the bar stays current, and piped output gets its periodic line."""
        if self._progress is not None:
            self._progress.update(0, extra=f"{self.stats.files} files, confirmed {format_lsn(self._confirmed)}")
