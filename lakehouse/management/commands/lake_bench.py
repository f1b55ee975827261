"""``manage.py lake_bench``: lake_build from scratch + lake_verify, and an incremental build, as JSON."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import replication_connection
from lakehouse.bench import run
from lakehouse.freshness import measure
from lakehouse.landing import LandingError
from lakehouse.silver import SilverError


class Command(BaseCommand):
    help = ("Benchmark the lake on the current (seeded) world: a full load (COPY, unless --landing is given), "
            "lake_build from scratch, lake_verify, then an incremental build of a CDC batch; prints JSON with "
            "the references measured in the same run.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--work", default=None,
                            help="scratch folder for the landing and warehouses (default: a new temporary folder)")
        parser.add_argument("--landing", default=None, help="use this landing (e.g. from dms_task) instead of COPY")
        parser.add_argument("--changes", type=int, default=1000, help="rows in the incremental CDC batch")
        parser.add_argument("--freshness-seconds", type=float, default=0.0,
                            help="also run dms_task + lake_build --follow + simulated activity this long and "
                                 "report CDC→Silver freshness p50/p95 (0 = skip)")
        parser.add_argument("--batch-interval", type=float, default=1.0,
                            help="the DMS task's CDC file interval for the freshness run (DMS default: 60)")
        parser.add_argument("--json", action="store_true", help="(always JSON; accepted for symmetry)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["changes"] < 1:
            raise CommandError("--changes must be at least 1.")
        conn = replication_connection(settings.DATABASES["default"]["NAME"])
        try:
            work = Path(options["work"] or tempfile.mkdtemp(prefix="lake-bench-"))
            result = run(conn, work, landing=options["landing"], changes=options["changes"])
            result["work"] = str(work)
            if options["freshness_seconds"] > 0:
                result["freshness"] = measure(conn, settings.DATABASES["default"]["NAME"], work,
                                              seconds=options["freshness_seconds"],
                                              batch_interval=options["batch_interval"])
        except (LandingError, SilverError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            conn.close()
        self.stdout.write(json.dumps(result, sort_keys=True, default=str))
        if not result["verify_ok"]:
            raise CommandError("lake_verify failed on the benchmark warehouse: the figures are not valid.")
