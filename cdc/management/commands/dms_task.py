"""``manage.py dms_task``: one local AWS DMS task (full load + CDC) into a folder or S3."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cdc.runner import add_profile_arguments, execute, report
from cdc.slots import DEFAULT_SLOT


class Command(BaseCommand):
    help = ("Full load (an exact snapshot cut) then CDC of the tables the DMS mapping selects, as the replication "
            "role, into DMS's S3 layout under a folder or s3://bucket/prefix; re-running continues.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--target", required=True, help="landing root: a folder or s3://bucket/prefix")
        parser.add_argument("--slot", default=DEFAULT_SLOT, help=f"slot name (default {DEFAULT_SLOT})")
        parser.add_argument("--once", action="store_true", help="drain what is committed now, then exit")
        parser.add_argument("--dbname", default=None, help="database (default: the one Django uses)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        add_profile_arguments(parser, fmt_default="parquet")

    def handle(self, *args: Any, **options: Any) -> None:
        result = execute(self, options["target"], options, full_load=True)
        report(self, result, options["json"])
        sys.stdout.flush()
