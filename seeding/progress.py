"""Progress reporting for seeding: tqdm bars on a terminal, plain lines otherwise, or nothing.

One bar per tenant (its current table and rows/s in the description), so a parallel run
shows every worker's tenant at once. When the output is not a terminal (CI logs, pipes),
each finished (tenant, table) prints one line instead of redrawn bars. Worker processes
report through a queue to the parent, which owns the terminal.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any, Protocol

from tqdm import tqdm


class Progress(Protocol):
    def start_tenant(self, slug: str, total: int) -> None: ...
    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None: ...
    def finish_tenant(self, slug: str, summary: str) -> None: ...
    def message(self, text: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    """``--verbosity 0``."""

    def start_tenant(self, slug: str, total: int) -> None:
        pass

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        pass

    def finish_tenant(self, slug: str, summary: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _short(table: str) -> str:
    return table.removeprefix("models_app_").removeprefix("tenancy_")


class LineProgress:
    """One line per finished (tenant, table) and per tenant: readable in logs."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._current: dict[str, tuple[str, int, float]] = {}
        self._lock = threading.Lock()

    def _flush_table(self, slug: str) -> None:
        entry = self._current.pop(slug, None)
        if entry and entry[1]:
            table, rows, seconds = entry
            rate = rows / seconds if seconds > 0 else 0.0
            self.stream.write(f"  {slug}: {_short(table)} {rows:,} rows ({rate:,.0f} rows/s)\n")
            self.stream.flush()

    def start_tenant(self, slug: str, total: int) -> None:
        with self._lock:
            self.stream.write(f"{slug}: seeding (~{total:,} rows)\n")
            self.stream.flush()

    def advance(self, slug: str, table: str, rows: int, seconds: float) -> None:
        with self._lock:
            current = self._current.get(slug)
            if current and current[0] != table:
                self._flush_table(slug)
                current = None
            table_, r, s = current or (table, 0, 0.0)
            self._current[slug] = (table_, r + rows, s + seconds)

    def finish_tenant(self, slug: str, summary: str) -> None:
        with self._lock:
            self._flush_table(slug)
            self.stream.write(f"{slug}: {summary}\n")
            self.stream.flush()

    def message(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class BarProgress:
    """tqdm bars, one per tenant in flight."""

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
            tqdm.write(f"{slug}: {summary}", file=self.stream)

    def message(self, text: str) -> None:
        with self._lock:
            tqdm.write(text, file=self.stream)

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

    def message(self, text: str) -> None:
        self.q.put(("message", (text,)))

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


def for_command(verbosity: int, stream: IO[str] | None = None) -> Progress:
    """Bars on a terminal, lines elsewhere, nothing at verbosity 0."""
    stream = stream or sys.stderr
    if verbosity <= 0:
        return NullProgress()
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return BarProgress(stream)
    return LineProgress(stream)
