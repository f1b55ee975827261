"""What ``dms_task`` and ``cdc_tail`` share as commands: options, signals, errors, the summary.

Both run :func:`cdc.task.run_task` (``cdc_tail`` without the full load), so there is one
implementation of the CDC half. Errors become one-sentence ``CommandError`` s; Ctrl-C or
SIGTERM asks for a clean stop (flush, confirm, summary), a second one leaves at once
(nothing unconfirmed is lost: the slot sends it again).
"""

from __future__ import annotations

import json
import signal
from typing import Any

import psycopg2
from django.core.management.base import CommandError, CommandParser

from cdc.consumer import DEFAULT_BATCH_INTERVAL, DEFAULT_MIN_FILE_SIZE_KB, default_dbname, format_lsn
from cdc.fullload import DEFAULT_MAX_FILE_SIZE_KB
from cdc.landing import FORMATS, LandingError
from cdc.slots import SlotLost, validate_slot_name
from cdc.targets import open_target
from cdc.task import S3Profile, TaskResult, run_task


def add_profile_arguments(parser: CommandParser, *, fmt_default: str) -> None:
    parser.add_argument("--format", choices=FORMATS, default=fmt_default, help=f"file format (default {fmt_default})")
    parser.add_argument("--batch-interval", type=float, default=DEFAULT_BATCH_INTERVAL,
                        help=f"CdcMaxBatchInterval: seconds before a CDC batch is written (default "
                             f"{DEFAULT_BATCH_INTERVAL:g})")
    parser.add_argument("--min-file-size", type=int, default=DEFAULT_MIN_FILE_SIZE_KB,
                        help=f"CdcMinFileSize: KB that also trigger a write (default {DEFAULT_MIN_FILE_SIZE_KB})")
    parser.add_argument("--max-file-size", type=int, default=DEFAULT_MAX_FILE_SIZE_KB,
                        help=f"MaxFileSize: KB per full-load file (default {DEFAULT_MAX_FILE_SIZE_KB})")
    parser.add_argument("--s3-endpoint", default=None,
                        help="S3 endpoint URL for s3:// targets (default AWS_ENDPOINT_URL, else the local "
                             "server; 'aws' for AWS itself)")


def profile_from(options: dict[str, Any], target: str) -> S3Profile:
    if options["batch_interval"] <= 0:
        raise CommandError("--batch-interval must be a positive number of seconds.")
    if options["min_file_size"] <= 0 or options["max_file_size"] <= 0:
        raise CommandError("--min-file-size and --max-file-size must be positive numbers of KB.")
    return S3Profile(target=target, fmt=options["format"], batch_interval=options["batch_interval"],
                     min_file_size_kb=options["min_file_size"], max_file_size_kb=options["max_file_size"])


def check_slot(name: str) -> str:
    try:
        return validate_slot_name(name)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def execute(command: Any, target: str, options: dict[str, Any], *, full_load: bool) -> TaskResult:
    slot = check_slot(options["slot"])
    profile = profile_from(options, target)
    dbname = options.get("dbname") or default_dbname()
    try:
        store = open_target(target, options.get("s3_endpoint"))
    except LandingError as exc:
        raise CommandError(str(exc)) from exc
    stop = {"requested": False}

    def request_stop(signum: int, frame: Any) -> None:
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    verbosity = int(options.get("verbosity", 1))

    def log(message: str) -> None:
        if verbosity > 0:
            command.stderr.write(message)

    try:
        return run_task(store, slot, dbname, profile, once=options["once"], full_load=full_load,
                        should_stop=lambda: stop["requested"], drain_on_stop=options.get("drain_on_stop", False),
                        verbosity=verbosity, log=log, create=not options.get("no_create", False))
    except SlotLost as exc:
        raise CommandError(str(exc)) from exc
    except LandingError as exc:
        raise CommandError(str(exc)) from exc
    except psycopg2.errors.UndefinedObject as exc:
        raise CommandError(f"Slot {slot!r} does not exist; run without --no-create or create it first.") from exc
    except psycopg2.errors.DuplicateObject as exc:
        raise CommandError(f"Slot {slot!r} already exists; drop it (cdc_slots --drop {slot}) or use another "
                           "--slot.") from exc
    except psycopg2.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["no message"])[0]
        raise CommandError(f"PostgreSQL is unreachable as the replication role ({first}); start it with "
                           "'python manage.py dbserver start' or check DATABASE_URL.") from exc
    except KeyboardInterrupt as exc:
        raise CommandError("Stopped at once by a second signal; nothing unconfirmed is lost (the slot sends "
                           "it again on the next run).") from exc


def report(command: Any, result: TaskResult, as_json: bool) -> None:
    if as_json:
        command.stdout.write(json.dumps(result.as_dict(), indent=2))
        return
    cdc = result.cdc
    load = result.full_load
    head = ""
    if str(load.get("status", "")).startswith("done (earlier"):
        head = f"full load done earlier ({load['rows']:,} rows); "
    elif load.get("rows") is not None:
        head = f"full load {load['rows']:,} rows in {load['files']} files; "
    command.stdout.write(
        f"{head}CDC {cdc['transactions']:,} transactions, {cdc['rows']:,} rows ({cdc['duplicate_rows']:,} "
        f"duplicates) in {cdc['files']:,} files; confirmed up to {cdc['confirmed_lsn']} ({cdc['ended_by']}) "
        f"-> {result.target}")
    for table, counts in cdc["tables"].items():
        command.stdout.write(f"  {table:<34} " + "  ".join(f"{op} {n:,}" for op, n in sorted(counts.items())))


__all__ = ["add_profile_arguments", "check_slot", "execute", "format_lsn", "profile_from", "report"]
