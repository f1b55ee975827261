"""Loading COPY batches into RLS-protected tables as the loader role.

Seeding runs as its own role (``LOADER_ALIAS``, role ``lakehouse_loader``): the app role
has no TEMPORARY (a TEMP view would shadow a table for the next request of a pooled
connection), the loader has it for its staging tables. The loader is subject to the same
policies and signed tenant contexts as the app; it serves no requests.

PostgreSQL refuses ``COPY FROM`` into a table with row-level security for any role subject
to it. So each batch is COPYed into a TEMP table shaped ``LIKE`` the target and moved with
``INSERT INTO target SELECT ... FROM temp``: the INSERT runs under the tenant context, so
the policy's ``WITH CHECK`` verifies every row (a row of another tenant aborts the load),
and its cost is close to a raw COPY (docs/DATA_GENERATION.md has the figures).

Generation overlaps loading: a producer thread encodes the next batches while the server
ingests the current one (psycopg2 releases the GIL while it waits on the server).
"""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rls.sql import qn
from seeding.generators.base import Batch

#: The Django database alias seeding and cleanup run on (the loader role).
LOADER_ALIAS = "loader"
#: Session memory for TEMP tables (the default 8MB would spill a 50k-row batch to disk).
#: Also the loader role's default (rls.roles.SESSION_DEFAULTS), so a context's reset keeps it.
TEMP_BUFFERS = "128MB"
#: psycopg2 COPY read size.
COPY_CHUNK = 1 << 20
_QUEUE_DEPTH = 2


@dataclass
class TableStats:
    rows: int = 0
    seconds: float = 0.0


@dataclass
class LoadStats:
    tables: dict[str, TableStats] = field(default_factory=dict)

    def add(self, table: str, rows: int, seconds: float) -> None:
        entry = self.tables.setdefault(table, TableStats())
        entry.rows += rows
        entry.seconds += seconds

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def temp_name(table: str) -> str:
    return f"seed_{table}"


def prepare_session(cursor) -> None:
    """Per-session settings; must run before the session's first TEMP table."""
    cursor.execute(f"SET temp_buffers = '{TEMP_BUFFERS}'")


class TempTableLoader:
    """Moves batches into their tables through TEMP tables, on one cursor inside one transaction."""

    def __init__(self, cursor, on_batch: Callable[[Batch, float], None] | None = None) -> None:
        self.cursor = cursor
        self.on_batch = on_batch
        self.stats = LoadStats()
        self._temps: set[str] = set()

    def load(self, batch: Batch) -> None:
        started = time.perf_counter()
        temp = temp_name(batch.table)
        cols = ", ".join(qn(c) for c in batch.columns)
        if temp not in self._temps:
            self.cursor.execute(f"CREATE TEMP TABLE {qn(temp)} (LIKE {qn(batch.table)} INCLUDING DEFAULTS) "
                                "ON COMMIT DROP")
            self._temps.add(temp)
        # One read of the whole payload: the producer thread holds the GIL most of the time, so
        # fewer, larger reads mean fewer waits for it.
        self.cursor.copy_expert(f"COPY {qn(temp)} ({cols}) FROM STDIN", io.BytesIO(batch.payload),
                                max(COPY_CHUNK, len(batch.payload)))
        self.cursor.execute(f"INSERT INTO {qn(batch.table)} ({cols}) SELECT {cols} FROM {qn(temp)}")  # noqa: S608
        if self.cursor.rowcount != batch.rows:
            raise RuntimeError(f"{batch.table}: inserted {self.cursor.rowcount} rows of {batch.rows}")
        self.cursor.execute(f"TRUNCATE {qn(temp)}")
        elapsed = time.perf_counter() - started
        self.stats.add(batch.table, batch.rows, elapsed)
        if self.on_batch:
            self.on_batch(batch, elapsed)

    def load_all(self, batches: Iterable[Batch]) -> LoadStats:
        for batch in batches:
            self.load(batch)
        return self.stats


_DONE = object()


def prefetch(source: Iterator[Batch], depth: int = _QUEUE_DEPTH) -> Iterator[Batch]:
    """Iterate ``source`` in a background thread, ``depth`` batches ahead.

    Errors in the producer re-raise in the consumer; if the consumer stops early (an error
    while loading), the producer is told to stop and joined.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, name="seed-generator", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
