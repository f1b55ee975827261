"""``manage.py lake_athena``: the Athena DDL and MERGE statements of Bronze and Silver, for every table."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lakehouse.athena import athena_script
from lakehouse.schema import table_specs


class Command(BaseCommand):
    help = ("Print the Athena SQL for the lake on AWS: Bronze external tables over the DMS folders, Silver "
            "Iceberg tables, and the deduplicating MERGE INTO that keeps Silver current.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--landing", default="s3://my-dms-bucket/dms", help="the DMS target folder")
        parser.add_argument("--warehouse", default="s3://my-lake-bucket/warehouse", help="Iceberg location")
        parser.add_argument("--table", action="append", default=None, help="only these tables (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        specs = table_specs()
        if options["table"]:
            unknown = set(options["table"]) - {s.name for s in specs}
            if unknown:
                raise CommandError(f"unknown table {', '.join(sorted(unknown))}; tables: "
                                   f"{', '.join(s.name for s in specs)}")
            specs = [s for s in specs if s.name in options["table"]]
        self.stdout.write(athena_script(specs, options["landing"], options["warehouse"]), ending="")
