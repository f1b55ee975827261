"""Stopping long seeding work at a Ctrl-C without losing track of what committed.

A :class:`StopSignal` is set by the first SIGINT (while :func:`stop_on_sigint` is active)
instead of raising ``KeyboardInterrupt`` at an arbitrary line. The engine checks it before
each tenant and between batches: no new tenant starts, and a tenant in flight raises
:class:`Stopped` inside its transaction, which rolls it back. Because nothing is ever
interrupted between a COMMIT and the bookkeeping after it, the engine knows exactly which
tenants are complete. Worker processes ignore SIGINT and read the same signal through a
``multiprocessing`` event (:meth:`StopSignal.share`), so a SIGINT sent to the parent alone
stops them as promptly as a Ctrl-C sent to the whole process group.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["StopSignal", "Stopped", "stop_on_sigint"]

logger = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised inside a tenant's transaction when the stop signal is set: the tenant rolls back."""


class StopSignal:
    """A flag set once (by a signal handler or by code), readable in this process and in forked workers."""

    def __init__(self) -> None:
        self._local = threading.Event()  # is_set() takes no lock: safe to poll where the handler runs
        self._shared: Any = None

    def share(self, ctx: Any) -> Any:
        """A ``ctx.Event()`` for worker processes, set whenever this signal is (create it before forking)."""
        if self._shared is None:
            self._shared = ctx.Event()
            if self._local.is_set():
                self._shared.set()
        return self._shared

    def set(self) -> None:
        self._local.set()
        if self._shared is not None:
            self._shared.set()

    def is_set(self) -> bool:
        return self._local.is_set()


@contextmanager
def stop_on_sigint(stop: StopSignal, what: str = "work") -> Iterator[StopSignal]:
    """While inside, SIGINT sets ``stop`` (and logs what happens next) instead of raising ``KeyboardInterrupt``.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            logger.warning("already stopping: waiting for the %s in flight to roll back", what)
            return
        stop.set()
        logger.warning("interrupted: starting no new %s; the ones in flight roll back", what)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
