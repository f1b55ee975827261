"""``manage.py lake_build``: Bronze → Silver (DuckDB + Iceberg) → Gold from the landed DMS files."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lakehouse.build import BuildReport, build, follow
from lakehouse.landing import LandingError
from lakehouse.silver import SilverError


class Command(BaseCommand):
    help = ("Build the lake from what DMS landed: register the files (Bronze), merge them into the current "
            "state of every table (Silver, DuckDB and Iceberg) and compute the metrics (Gold). Never reads "
            "the source database.")
    # The system checks query the database; this command must not touch it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--landing", required=True, help="landing folder or s3://bucket/prefix")
        parser.add_argument("--warehouse", required=True, help="warehouse folder (DuckDB file, Iceberg tables)")
        parser.add_argument("--s3-endpoint", default=None, help="S3 endpoint URL (default: AWS_ENDPOINT_URL)")
        parser.add_argument("--follow", action="store_true", help="keep polling for new files (Ctrl-C stops)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls with --follow")
        parser.add_argument("--max-seconds", type=float, default=None, help="stop following after this long")
        parser.add_argument("--no-iceberg", action="store_true", help="skip the Iceberg export")
        parser.add_argument("--no-gold", action="store_true", help="skip the Gold metrics")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        warehouse = Path(options["warehouse"])
        try:
            if options["follow"]:
                try:
                    follow(options["landing"], warehouse, interval=options["interval"],
                           max_seconds=options["max_seconds"], s3_endpoint=options["s3_endpoint"],
                           with_iceberg=not options["no_iceberg"], with_gold=not options["no_gold"],
                           on_build=lambda r: self._print(r, options["json"], quiet_when_idle=True))
                except KeyboardInterrupt:
                    return
            else:
                report = build(options["landing"], warehouse, s3_endpoint=options["s3_endpoint"],
                               with_iceberg=not options["no_iceberg"], with_gold=not options["no_gold"])
                self._print(report, options["json"], quiet_when_idle=False)
        except (LandingError, SilverError) as exc:
            raise CommandError(str(exc)) from exc
        except duckdb.IOException as exc:
            raise CommandError(f"cannot open the warehouse {warehouse} (is another lake_build running?): "
                               f"{exc}") from exc
        except duckdb.Error as exc:
            raise CommandError(f"the lake failed in DuckDB: {str(exc).splitlines()[0]}") from exc
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"cannot read the landing {options['landing']} from S3: {exc}") from exc

    def _print(self, report: BuildReport, as_json: bool, *, quiet_when_idle: bool) -> None:
        if quiet_when_idle and not report.files_read:
            return
        if as_json:
            self.stdout.write(json.dumps(asdict(report), sort_keys=True))
            return
        self.stdout.write(f"build {report.build_id}: {report.files_read} new of {report.files_seen} files, "
                          f"{report.rows_read} rows read, {report.rows_applied} applied, "
                          f"{report.gold_metrics} gold metrics, {report.seconds:.2f} s")
        for table, stats in sorted(report.tables.items()):
            self.stdout.write(f"  {table:<26} " + ", ".join(f"{key} {value:,}" for key, value in stats.items()))
