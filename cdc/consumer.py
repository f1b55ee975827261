"""A local stand-in for AWS DMS's CDC reader: a ``test_decoding`` slot streamed to files.

Protocol: the replication role opens a walsender connection (psycopg2's
``LogicalReplicationConnection``), streams the slot, groups messages into transactions and,
every ``flush_interval`` seconds, writes the complete transactions to durable files (see
:mod:`cdc.sink`). Only then does it confirm the last commit's end LSN with
``send_feedback(flush_lsn=...)``. A crash of the consumer or of PostgreSQL therefore loses
nothing: unconfirmed transactions are sent again (at-least-once). Replays are written again
and *counted* as duplicates (their commit LSN is not above the position recorded in the
state file at start), never silently dropped; each row carries a change sequence (commit
LSN + ordinal) by which a loader can deduplicate.
"""

from __future__ import annotations

import datetime as dt
import json
import os
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

from cdc.decoding import Begin, Change, Commit, parse_line
from cdc.sink import CsvSink, OutRow
from project.database import current_database_name, role_url

#: test_decoding options: commit timestamps for the lag measure, no empty BEGIN/COMMIT pairs.
PLUGIN_OPTIONS = {"include-xids": "on", "include-timestamp": "on", "skip-empty-xacts": "on"}
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


def is_connection_loss(exc: BaseException) -> bool:
    """Whether to reconnect: a lost server, or the slot still held by our previous walsender.

    psycopg2 reports a server that vanished mid-stream as a bare ``DatabaseError`` ("error with
    status PGRES_COPY_BOTH and no message"); a slot held by a dying walsender is ObjectInUse.
    """
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
    from cdc.slots import replication_sql_connection

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
    reconnects: int = 0
    files: int = 0
    flushes: int = 0
    lag_seconds: list[float] = field(default_factory=list)
    flushed_lsn: int = 0
    ended_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        from cdc.workload.ledger import percentile

        return {
            "tables": {table: dict(counts) for table, counts in sorted(self.tables.items())},
            "transactions": self.transactions, "rows": self.rows,
            "duplicate_rows": self.duplicate_rows, "duplicate_transactions": self.duplicate_transactions,
            "truncates_ignored": self.truncates, "reconnects": self.reconnects, "files": self.files,
            "flushes": self.flushes, "flushed_lsn": format_lsn(self.flushed_lsn), "ended_by": self.ended_by,
            "lag_p50_seconds": percentile(self.lag_seconds, 50),
            "lag_p95_seconds": percentile(self.lag_seconds, 95),
        }


class Consumer:
    """Stream one slot into ``out_dir``; see the module docstring for the guarantees."""

    def __init__(self, slot: str, out_dir: Path, *, dbname: str | None = None, sink: CsvSink | None = None,
                 flush_interval: float = 0.2, max_pending_rows: int = 50_000,
                 tables: set[tuple[str, str]] | None = None, reconnect_timeout: float = 120.0,
                 log: Callable[[str], None] = lambda _m: None) -> None:
        self.slot = slot
        self.out_dir = Path(out_dir)
        self.dbname = dbname or default_dbname()
        self.sink = sink or CsvSink(self.out_dir)
        self.flush_interval = flush_interval
        self.max_pending_rows = max_pending_rows
        self.tables = tables
        self.reconnect_timeout = reconnect_timeout
        self.log = log
        self.stats = ConsumerStats()
        self.columns: dict[str, list[str]] = {}
        self._current: Transaction | None = None
        self._ready: list[Transaction] = []
        self._pending_rows = 0
        self._last_flush = time.monotonic()
        self._confirmed = 0
        self.state_file = self.out_dir / "_state" / f"{slot}.json"
        self._replay_horizon = self._load_state()

    # -- state --------------------------------------------------------------------------
    def _load_state(self) -> int:
        try:
            return parse_lsn(json.loads(self.state_file.read_text())["flushed_lsn"])
        except (OSError, ValueError, KeyError):
            return 0

    def _save_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump({"slot": self.slot, "flushed_lsn": format_lsn(self.stats.flushed_lsn)}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_file)

    # -- the loop -----------------------------------------------------------------------
    def run(self, *, once: bool = False, should_stop: Callable[[], bool] = lambda: False,
            drain_on_stop: bool = False, idle_grace: float = 5.0) -> ConsumerStats:
        """Stream until stopped (or, with ``once``, until the WAL present at start is consumed).

        ``should_stop`` is polled; with ``drain_on_stop`` a stop request first consumes every
        transaction committed before the request, so the caller knows nothing is left behind.
        """
        target: int | None = current_flush_lsn(self.dbname) if once else None
        outage_started: float | None = None
        while True:
            try:
                ended = self._stream(target, should_stop, drain_on_stop, idle_grace)
                self.stats.ended_by = ended
                return self.stats
            except psycopg2.DatabaseError as exc:
                if not is_connection_loss(exc):
                    raise
                # Unconfirmed transactions come again after reconnecting: drop the buffers. What
                # was written before may come again too (the server may have lost our last
                # confirmation in a crash): such replays count as duplicates.
                self._current, self._ready, self._pending_rows = None, [], 0
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
            else:
                outage_started = None

    def _connect(self):
        return psycopg2.connect(
            role_url("replication", self.dbname), connection_factory=psycopg2.extras.LogicalReplicationConnection,
            application_name=f"cdc_tail:{self.slot}", options="-c TimeZone=UTC",
        )

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
                    if self._ready and (self._pending_rows >= self.max_pending_rows
                                        or idle_since - self._last_flush >= self.flush_interval):
                        self._flush(cursor)
                    continue
                if self._ready:
                    self._flush(cursor)
                self._confirm_idle(cursor)
                if target is None and should_stop():
                    if not drain_on_stop:
                        return "stopped"
                    target = current_flush_lsn(self.dbname)
                    self.log(f"draining up to {format_lsn(target)}")
                if target is not None:
                    if self._current is None and max(self._confirmed, cursor.wal_end) >= target:
                        return "drained"
                    now = time.monotonic()
                    if self._current is None and now - idle_since >= idle_grace:
                        return "idle"
                    if now - last_ping >= 0.2:
                        cursor.send_feedback(reply=True)  # ask for a keepalive carrying wal_end
                        last_ping = now
                select.select([cursor], [], [], 0.1 if target is not None else 0.5)
        finally:
            conn.close()

    def _handle(self, message: Any) -> None:
        parsed = parse_line(message.payload)
        if isinstance(parsed, Begin):
            self._current = Transaction(parsed.xid)
        elif isinstance(parsed, Change):
            if self._current is None:
                self._current = Transaction(None)
            if parsed.op == "T":
                self.stats.truncates += 1  # DMS does not replicate TRUNCATE either
            elif self.tables is None or (parsed.schema, parsed.table) in self.tables:
                self._current.changes.append(parsed)
        elif isinstance(parsed, Commit):
            txn = self._current or Transaction(parsed.xid)
            txn.end_lsn = message.data_start
            txn.commit_ts = parsed.timestamp
            self._ready.append(txn)
            self._pending_rows += len(txn.changes)
            self._current = None

    def _flush(self, cursor: Any) -> None:
        by_table: dict[tuple[str, str], list[OutRow]] = defaultdict(list)
        committed: list[Transaction] = []
        for txn in self._ready:
            if not txn.changes:
                continue
            committed.append(txn)
            duplicate = txn.end_lsn <= self._replay_horizon
            stamp = txn.commit_ts.isoformat(sep=" ") if txn.commit_ts else ""
            self.stats.transactions += 1
            self.stats.duplicate_transactions += duplicate
            for ordinal, change in enumerate(txn.changes):
                values = change.values()
                by_table[(change.schema, change.table)].append(
                    OutRow(change.op, stamp, f"{txn.end_lsn:016X}-{ordinal:06d}", values))
                known = self.columns.setdefault(change.table, [])
                if len(known) < len(values):
                    known.extend(name for name in values if name not in known)
                self.stats.tables[change.table][change.op] += 1
                self.stats.rows += 1
                self.stats.duplicate_rows += duplicate
        for (schema, table), rows in by_table.items():
            self.sink.write(schema, table, self.columns[table], rows)
            self.stats.files += 1
        durable_at = time.time()
        self.stats.lag_seconds.extend(durable_at - t.commit_ts.timestamp() for t in committed if t.commit_ts)
        self.stats.flushed_lsn = max(self.stats.flushed_lsn, self._ready[-1].end_lsn)
        if committed:
            self._save_state()
        # Durable first, confirmed second: this ordering is the at-least-once guarantee. force=True:
        # psycopg2 otherwise only records the position until the next status interval.
        cursor.send_feedback(flush_lsn=self.stats.flushed_lsn, force=True)
        self._confirmed = max(self._confirmed, self.stats.flushed_lsn)
        self.stats.flushes += 1
        self._ready, self._pending_rows = [], 0
        self._last_flush = time.monotonic()

    def _confirm_idle(self, cursor: Any) -> None:
        """Nothing buffered: confirm the server's position so an idle slot retains no WAL."""
        wal_end = cursor.wal_end
        if self._current is None and not self._ready and wal_end > self._confirmed:
            cursor.send_feedback(flush_lsn=wal_end, force=True)
            self._confirmed = wal_end
