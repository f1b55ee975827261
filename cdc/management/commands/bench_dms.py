"""``manage.py bench_dms``: full-load export throughput against a raw COPY, as JSON (see cdc/bench.py)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.bench import run_bench
from cdc.consumer import default_dbname
from cdc.landing import FORMATS


class Command(BaseCommand):
    help = ("Measure dms_task's full-load export against a raw COPY ... TO of the same tables into the same "
            "format, in the same run; prints JSON with the throughput ratio (target >= 0.8).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="parquet")
        parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each side (median)")
        parser.add_argument("--dbname", default=None, help="database (default: the one Django uses)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        result = run_bench(options["dbname"] or default_dbname(), options["format"], options["repeat"])
        self.stdout.write(json.dumps(result, indent=2))
