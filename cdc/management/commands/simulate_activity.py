"""``manage.py simulate_activity``: live tenant activity for CDC (see cdc/workload/simulator.py).

Every option is checked before anything is done (no tenant created, no row written, the
``--ledger`` file writable). Ctrl-C (or SIGTERM) stops the workers after the operation in
flight; the summary printed then counts exactly what committed, and a second Ctrl-C only
says that the run is already stopping. If the server goes away for longer than
``--reconnect-timeout``, the summary of what committed is printed and the command fails with
one sentence.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from cdc.workload import CATEGORIES, MAX_WORKERS, run_workers
from cdc.workload.selection import SelectionError, create_simulation_tenant, parse_operations, resolve_tenants
from seeding import distributions as D

LOGGER = "cdc.workload"
LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}


class _StatusLine(logging.StreamHandler):
    """On a terminal: progress rewrites one line; warnings get lines of their own."""

    terminator = ""

    def emit(self, record: logging.LogRecord) -> None:
        # Clear the status line, then write over it; a warning ends its line and stays.
        ending = "" if record.levelno <= logging.INFO else "\n"
        self.stream.write("\r\x1b[2K" + self.format(record) + ending)
        self.flush()


def check_ledger_path(text: str) -> Path:
    """The ``--ledger`` file can be written: checked before the run, leaving nothing behind."""
    path = Path(text)
    if path.is_dir():
        raise CommandError(f"--ledger {text} is a directory; give a file name.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"--ledger {text}: the directory {parent} does not exist.")
    try:
        if path.exists():
            with path.open("r+b"):
                pass
        else:
            with tempfile.NamedTemporaryFile(dir=parent, prefix=".ledger-check-"):
                pass
    except OSError as exc:
        raise CommandError(f"--ledger {text} cannot be written: {exc.strerror or exc}.") from exc
    return path


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, log: logging.Logger) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (the workers finish the operation in flight); no traceback, ever."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():
            log.warning("already stopping: waiting for the operations in flight to commit")
            return
        stop.set()
        log.warning("stopping after the operations in flight (%s)", signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            # Once asked to stop, the process is on its way out: a late second Ctrl-C is ignored
            # rather than turned into a KeyboardInterrupt during the exit.
            signal.signal(sig, signal.SIG_IGN if stop.is_set() else old)


class Command(BaseCommand):
    help = "Generate realistic, CDC-friendly activity under tenant contexts and print a ledger of it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--duration", type=float, default=1.0, help="minutes to run; 0 = until Ctrl-C")
        parser.add_argument("--rate", type=float, default=600, help="operations per minute; 0 = flat out")
        parser.add_argument("--time-scale", type=float, default=D.WORKLOAD_TIME_SCALE,
                            help="simulated seconds per real second (1 = real time: an hour adds an hour of "
                                 "orders); 0 = as fast as the rate allows")
        parser.add_argument("--operations", default="all", help=f"comma list of {','.join(CATEGORIES)} or all")
        parser.add_argument("--tenants", default=None, help="comma list of tenant slugs (default: all active)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible choices)")
        parser.add_argument("--workers", type=int, default=None,
                            help=f"parallel connections (threads), 1..{MAX_WORKERS}, at most one per tenant "
                                 "(default: 2, or 1 for a single tenant)")
        parser.add_argument("--reconnect-timeout", type=float, default=30.0,
                            help="seconds to wait for a lost database before giving up")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--ledger", default=None, help="also write the summary JSON to this file")

    def _validate(self, options: dict[str, Any]) -> tuple[tuple[str, ...], Path | None]:
        for name, flag in (("duration", "--duration"), ("rate", "--rate"), ("time_scale", "--time-scale"),
                           ("reconnect_timeout", "--reconnect-timeout")):
            if not math.isfinite(options[name]) or options[name] < 0:
                raise CommandError(f"{flag} must be a finite number, 0 or more (got {options[name]}).")
        if options["workers"] is not None and not 1 <= options["workers"] <= MAX_WORKERS:
            raise CommandError(f"--workers must be between 1 and {MAX_WORKERS} (got {options['workers']}).")
        try:
            operations = parse_operations(options["operations"])
        except SelectionError as exc:
            raise CommandError(str(exc)) from exc
        ledger = check_ledger_path(options["ledger"]) if options["ledger"] else None
        return operations, ledger

    def handle(self, *args: Any, **options: Any) -> None:
        operations, ledger = self._validate(options)
        log = logging.getLogger(LOGGER)
        tty = sys.stderr.isatty()
        handler: logging.Handler = _StatusLine(sys.stderr) if tty else logging.StreamHandler(sys.stderr)
        if not tty:
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        level = LEVELS.get(options["verbosity"], logging.INFO)
        old_level, old_propagate = log.level, log.propagate
        log.addHandler(handler)
        log.setLevel(level)
        log.propagate = False
        stop = threading.Event()
        # Signals stop the run, and stay caught until the summary is out: a second Ctrl-C
        # while it is printed must not cut it off with a traceback.
        try:
            with stop_on_signals(stop, log):
                result = self._simulate(options, operations, stop, status_every=1.0 if tty else 10.0)
                if tty and level <= logging.INFO:
                    sys.stderr.write("\n")
                if options["json"]:
                    self.stdout.write(json.dumps(result, indent=2))
                else:
                    self._print(result)
                self.stdout.flush()
                if ledger is not None:
                    try:
                        ledger.write_text(json.dumps(result, indent=2))
                    except OSError as exc:  # checked before the run; something changed since
                        raise CommandError(f"--ledger {ledger} could not be written after the run: "
                                           f"{exc.strerror or exc}; the summary above is what committed.") from exc
        finally:
            log.removeHandler(handler)
            log.setLevel(old_level)
            log.propagate = old_propagate
        if result["failure"]:
            unsettled = (f" ({result['unsettled']} commit(s) in flight could not be settled and are left out)"
                         if result["unsettled"] else "")
            raise CommandError(f"The run stopped early: {result['failure']}; the summary above is what "
                               f"committed{unsettled}.")

    def _simulate(self, options: dict[str, Any], operations: tuple[str, ...], stop: threading.Event,
                  status_every: float) -> dict[str, Any]:
        log = logging.getLogger(LOGGER)
        try:
            tenants = resolve_tenants(options["tenants"])
            if not tenants:
                tenants = [create_simulation_tenant()]
                log.warning("no tenants found: created %s to simulate on", tenants[0])
        except SelectionError as exc:
            raise CommandError(str(exc)) from exc
        except (DatabaseError, psycopg2.Error) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Cannot reach the database ({first}); is it running (python manage.py "
                               "dbserver start)?") from exc
        summary = run_workers(
            tenants, workers=options["workers"] or min(2, len(tenants)), operations=operations, seed=options["seed"],
            seconds=options["duration"] * 60 or None, rate_per_minute=options["rate"],
            time_scale=options["time_scale"] or None, should_stop=stop.is_set, status_every=status_every,
            reconnect_timeout=options["reconnect_timeout"])
        result = summary.as_dict()
        result["interrupted"] = stop.is_set()
        result["tenants"] = [str(t) for t in tenants]
        result["pid"] = os.getpid()
        return result

    def _print(self, result: dict[str, Any]) -> None:
        self.stdout.write(
            f"{result['operations']} operations in {result['seconds']} s ({result['ops_per_second']}/s), "
            f"{result['simulated_hours']} simulated hours{' (interrupted)' if result['interrupted'] else ''}; "
            f"errors {result['errors']}, retries {result['retries']}, reconnects {result['reconnects']}, "
            f"in-doubt commits {result['in_doubt']} (committed {result['in_doubt_committed']})")
        for name, count in result["by_type"].items():
            self.stdout.write(f"  {name:<10} {count}")
        self.stdout.write("ledger (committed row changes):")
        for table, counts in result["ledger"].items():
            self.stdout.write(f"  {table:<26} I {counts['I']:>7}  U {counts['U']:>7}  D {counts['D']:>7}")
