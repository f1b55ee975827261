"""Progress of long seeding work: tqdm bars on a terminal, periodic log lines otherwise.

The engine reports three events per tenant (start, rows done in a table, finish) to a
:class:`Progress`. On a terminal, :class:`BarProgress` shows one tqdm bar per tenant in
flight (its current table in the description), so a parallel run shows every worker's
tenant at once. Elsewhere (CI logs, pipes), :class:`LogProgress` writes log lines through
the ``seeding.progress`` logger: one per finished (tenant, table), one per tenant, and one
every :data:`LOG_EVERY_SECONDS` while a long table is still running. Worker processes
report through a queue to the parent, which owns the terminal (:class:`QueueProgress`,
:func:`relay`). Which one a command gets, and whether it shows anything, follows
``--verbosity`` (:func:`for_command`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import IO, Any, Protocol

from tqdm import tqdm

from seeding.tables import short as _short

__all__ = ["BarProgress", "LogProgress", "NullProgress", "Progress", "QueueProgress", "for_command", "relay"]

logger = logging.getLogger(__name__)

#: While a table is still running, a log line at most this often per tenant.
LOG_EVERY_SECONDS = 10.0


class Progress(Protocol):
    def start_tenant(self, slug: str, total: int) -> None: ...
    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None: ...
    def finish_tenant(self, slug: str, summary: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    """``--verbosity 0``: nothing."""

    def start_tenant(self, slug: str, total: int) -> None:
        pass

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        pass

    def finish_tenant(self, slug: str, summary: str) -> None:
        pass

    def close(self) -> None:
        pass


class LogProgress:
    """Log lines: readable in CI logs and pipes, where redrawn bars are noise."""

    def __init__(self, verb: str = "seeding", every: float = LOG_EVERY_SECONDS) -> None:
        self.verb = verb
        self.every = every
        self._current: dict[str, tuple[str, int, float]] = {}
        self._totals: dict[str, tuple[int, int]] = {}  # slug -> (rows done, rows planned)
        self._last_line: dict[str, float] = {}
        self._lock = threading.Lock()

    def _flush_table(self, slug: str) -> None:
        entry = self._current.pop(slug, None)
        if entry and entry[1]:
            table, rows, seconds = entry
            rate = rows / seconds if seconds > 0 else 0.0
            logger.info("  %s: %s %s rows (%s rows/s)", slug, _short(table), f"{rows:,}", f"{rate:,.0f}")

    def start_tenant(self, slug: str, total: int) -> None:
        with self._lock:
            self._totals[slug] = (0, total)
            self._last_line[slug] = time.monotonic()
            logger.info("%s: %s (~%s rows)", slug, self.verb, f"{total:,}")

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        with self._lock:
            current = self._current.get(slug)
            if current and current[0] != table:
                self._flush_table(slug)
                current = None
            table_, r, s = current or (table, 0, 0.0)
            self._current[slug] = (table_, r + rows, s + seconds)
            done, total = self._totals.get(slug, (0, 0))
            self._totals[slug] = (done + rows, total)
            now = time.monotonic()
            if now - self._last_line.get(slug, now) >= self.every:
                self._last_line[slug] = now
                share = f" ({(done + rows) / total:.0%})" if total else ""
                logger.info("  %s: %s, %s rows so far%s", slug, _short(table), f"{done + rows:,}", share)

    def finish_tenant(self, slug: str, summary: str) -> None:
        with self._lock:
            self._flush_table(slug)
            self._totals.pop(slug, None)
            self._last_line.pop(slug, None)
            logger.info("%s: %s", slug, summary)

    def close(self) -> None:
        pass


class BarProgress:
    """tqdm bars, one per tenant in flight; each tenant's summary is logged above them."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.bars: dict[str, Any] = {}
        self._slots: dict[str, int] = {}
        self._lock = threading.Lock()

    def start_tenant(self, slug: str, total: int) -> None:
        with self._lock:
            used = set(self._slots.values())
            slot = next(i for i in range(len(used) + 1) if i not in used)
            self._slots[slug] = slot
            self.bars[slug] = tqdm(total=total, desc=slug[:24], unit=" rows", unit_scale=True, position=slot,
                                   file=self.stream, leave=False, dynamic_ncols=True, mininterval=0.2)

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        with self._lock:
            bar = self.bars.get(slug)
            if bar is not None:
                bar.set_description_str(f"{slug[:24]} {_short(table)}", refresh=False)
                bar.update(rows)

    def finish_tenant(self, slug: str, summary: str) -> None:
        with self._lock:
            bar = self.bars.pop(slug, None)
            self._slots.pop(slug, None)
            if bar is not None:
                bar.close()
        logger.info("%s: %s", slug, summary)

    def close(self) -> None:
        with self._lock:
            for bar in self.bars.values():
                bar.close()
            self.bars.clear()


class QueueProgress:
    """Used inside worker processes: forwards every call to the parent through a queue."""

    def __init__(self, q: Any) -> None:
        self.q = q

    def start_tenant(self, slug: str, total: int) -> None:
        self.q.put(("start_tenant", (slug, total)))

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        self.q.put(("advance", (slug, table, rows, seconds)))

    def finish_tenant(self, slug: str, summary: str) -> None:
        self.q.put(("finish_tenant", (slug, summary)))

    def close(self) -> None:
        pass


def relay(q: Any, target: Progress) -> threading.Thread:
    """Start a thread replaying queued calls on ``target``; put ``None`` on the queue to stop it."""

    def run() -> None:
        while True:
            item = q.get()
            if item is None:
                return
            name, args = item
            getattr(target, name)(*args)

    thread = threading.Thread(target=run, name="seed-progress", daemon=True)
    thread.start()
    return thread


def for_command(verbosity: int, stream: IO[str], verb: str = "seeding") -> Progress:
    """Bars when ``stream`` is a terminal, log lines elsewhere, nothing at ``--verbosity 0``."""
    if verbosity <= 0:
        return NullProgress()
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return BarProgress(stream)
    return LogProgress(verb)
