"""``manage.py lake_verify``: Silver equals the source, table by table and tenant by tenant; Gold equals PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import replication_connection
from analytics.report import render_html
from lakehouse.build import build
from lakehouse.landing import LandingError
from lakehouse.report import lake_vs_source_section
from lakehouse.silver import SilverError
from lakehouse.verify import VerifyReport, require_lake, verify


class Command(BaseCommand):
    help = ("Drain the landed files into the lake (lake_build), then compare every Silver table with the "
            "source per tenant (row counts and a fingerprint of every column) and every Gold metric with "
            "PostgreSQL; exits non-zero listing the differences. Run dms_task --once first so that the "
            "landing holds every committed change, and keep the source quiet meanwhile.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--landing", required=True, help="landing folder or s3://bucket/prefix")
        parser.add_argument("--warehouse", required=True)
        parser.add_argument("--s3-endpoint", default=None)
        parser.add_argument("--no-build", action="store_true", help="compare the warehouse as it is")
        parser.add_argument("--no-metrics", action="store_true", help="compare the tables only")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--html", default=None, metavar="FILE",
                            help="also write the 'Lake vs source' page (the report's section) to FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        warehouse = Path(options["warehouse"])
        try:
            if not options["no_build"]:
                build(options["landing"], warehouse, s3_endpoint=options["s3_endpoint"])
            require_lake(warehouse)
            try:
                conn = replication_connection(settings.DATABASES["default"]["NAME"])
            except psycopg2.OperationalError as exc:
                raise CommandError(f"cannot reach the source as the replication role: {str(exc).strip()}") from exc
            try:
                report = verify(conn, warehouse, with_metrics=not options["no_metrics"])
            finally:
                conn.close()
        except (LandingError, SilverError) as exc:
            raise CommandError(str(exc)) from exc
        except duckdb.IOException as exc:
            raise CommandError(f"cannot open the warehouse {warehouse}: {exc}") from exc
        except duckdb.Error as exc:
            raise CommandError(f"the lake failed in DuckDB: {str(exc).splitlines()[0]}") from exc
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"cannot read the landing {options['landing']} from S3: {exc}") from exc
        if options["html"]:
            page = render_html([], title="Lake vs source", generated=dt.datetime.now(dt.UTC),
                               extra_sections=[lake_vs_source_section(report)])
            try:
                Path(options["html"]).write_text(page, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot write {options['html']}: {exc.strerror}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), sort_keys=True, default=str))
        else:
            self._print(report)
        if not report.ok:
            raise CommandError(f"the lake differs from the source: {len(report.table_differences)} table/tenant "
                               f"pairs and {len(report.metric_differences)} metric values differ.")

    def _print(self, report: VerifyReport) -> None:
        for table, counts in sorted(report.rows.items()):
            mark = "ok" if counts["source"] == counts["lake"] else "DIFF"
            self.stdout.write(f"{mark:4} {table}: source {counts['source']} rows, lake {counts['lake']} rows")
        for check in report.table_differences:
            self.stdout.write(f"DIFF {check.table} tenant {check.tenant}: {check.source_rows} vs {check.lake_rows} "
                              f"rows, {check.differing_keys} keys differ; missing {check.missing_in_lake}, "
                              f"extra {check.extra_in_lake}, changed {check.changed}")
        for line in report.metric_differences:
            self.stdout.write(f"DIFF metric {line}")
        self.stdout.write(f"{len(report.tables)} table/tenant pairs and {report.metrics_checked} metrics checked: "
                          + ("the lake equals the source" if report.ok else "DIFFERENCES"))
