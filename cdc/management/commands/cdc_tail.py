"""``manage.py cdc_tail``: the CDC half of ``dms_task`` alone (no full load), same code path."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cdc.runner import add_profile_arguments, execute, report
from cdc.slots import DEFAULT_SLOT


class Command(BaseCommand):
    help = ("Stream a logical slot (test_decoding, as AWS DMS reads it) as the replication role into DMS's S3 "
            "layout: the CDC half of dms_task.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slot", default=DEFAULT_SLOT, help=f"slot name (default {DEFAULT_SLOT})")
        parser.add_argument("--out", default="cdc_out", help="landing root: folder or s3://bucket/prefix "
                                                             "(default cdc_out)")
        parser.add_argument("--once", action="store_true", help="drain what is committed now, then exit")
        parser.add_argument("--drain-on-stop", action="store_true",
                            help="on SIGTERM/Ctrl-C, first consume everything committed before the signal")
        parser.add_argument("--no-create", action="store_true", help="fail if the slot does not exist")
        parser.add_argument("--dbname", default=None, help="database (default: the one Django uses)")
        parser.add_argument("--json", action="store_true", help="print counts as JSON at exit")
        add_profile_arguments(parser, fmt_default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        result = execute(self, options["out"], options, full_load=False)
        report(self, result, options["json"])
        sys.stdout.flush()
