"""``manage.py cdc_tail``: stream a test_decoding slot into DMS-like files (see cdc/consumer.py)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.consumer import Consumer, format_lsn
from cdc.mapping import table_filter
from cdc.sink import CsvSink, ParquetSink
from cdc.slots import DEFAULT_SLOT, create_slot


class Command(BaseCommand):
    help = "Read a logical slot (test_decoding, as AWS DMS does) as the replication role into cdc_out/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slot", default=DEFAULT_SLOT, help=f"slot name (default {DEFAULT_SLOT})")
        parser.add_argument("--out", default="cdc_out", help="output folder (default cdc_out)")
        parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
        parser.add_argument("--once", action="store_true", help="drain what is committed now, then exit")
        parser.add_argument("--drain-on-stop", action="store_true",
                            help="on SIGTERM/Ctrl-C, first consume everything committed before the signal")
        parser.add_argument("--flush-interval", type=float, default=0.2, help="seconds between file flushes")
        parser.add_argument("--all-tables", action="store_true",
                            help="write every table, not only those the DMS table mapping selects")
        parser.add_argument("--no-create", action="store_true", help="fail if the slot does not exist")
        parser.add_argument("--dbname", default=None, help="database (default: the one Django uses)")
        parser.add_argument("--json", action="store_true", help="print counts as JSON at exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["flush_interval"] <= 0:
            raise CommandError("--flush-interval must be a positive number of seconds.")
        out = Path(options["out"])
        try:
            sink = ParquetSink(out) if options["format"] == "parquet" else CsvSink(out)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        slot = options["slot"]
        try:
            if not options["no_create"]:
                created = create_slot(slot, options["dbname"])
                if created:
                    self.stderr.write(f"created slot {slot} (test_decoding)")
        except psycopg2.Error as exc:
            raise CommandError(f"Cannot create slot {slot!r} as the replication role: {str(exc).strip()}") from exc
        stop = {"requested": False}

        def request_stop(signum: int, frame: Any) -> None:
            if stop["requested"]:
                raise KeyboardInterrupt  # a second signal: leave now (nothing unconfirmed is lost)
            stop["requested"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        consumer = Consumer(
            slot, out, dbname=options["dbname"], sink=sink, flush_interval=options["flush_interval"],
            tables=None if options["all_tables"] else table_filter(),
            log=lambda message: self.stderr.write(message),
        )
        try:
            stats = consumer.run(once=options["once"], should_stop=lambda: stop["requested"],
                                 drain_on_stop=options["drain_on_stop"])
        except psycopg2.errors.UndefinedObject as exc:
            raise CommandError(f"Slot {slot!r} does not exist: {str(exc).strip()}") from exc
        except psycopg2.OperationalError as exc:
            raise CommandError(f"Lost the replication connection for good: {str(exc).strip()}") from exc
        result = stats.as_dict()
        result["slot"] = slot
        result["out"] = str(out)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(
                f"{stats.transactions} transactions, {stats.rows} rows ({stats.duplicate_rows} duplicates) "
                f"in {stats.files} files; confirmed up to {format_lsn(stats.flushed_lsn)} ({stats.ended_by})")
            for table, counts in result["tables"].items():
                self.stdout.write(f"  {table:<26} " + "  ".join(f"{op} {n}" for op, n in sorted(counts.items())))
        sys.stdout.flush()
