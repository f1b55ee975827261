"""``manage.py metrics``: the twenty metrics of docs/REQUIREMENTS.md, per tenant, as tables or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics.collect import ROLES, SelectionError, collect, select_metrics, select_tenants
from analytics.definitions import metric_queries
from analytics.formatting import json_rows, table
from analytics.runner import replication_connection
from analytics.sample_sql import render_all
from analytics.sqlgen import DIALECTS


class Command(BaseCommand):
    help = (
        "Run the analytics metrics defined in analytics/metrics/. By default each tenant's "
        "numbers are computed as the app role inside its tenant context (row-level security does the "
        "filtering); --role replication runs each query once across all tenants as the DMS replication "
        "role instead. Tenants are listed through the replication role."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", action="append", metavar="SLUG",
                            help="only this tenant (repeatable); default: every tenant")
        parser.add_argument("--metric", action="append", metavar="NAME",
                            help="only this metric (repeatable); default: all twenty")
        parser.add_argument("--role", choices=ROLES, default="app",
                            help="app: per tenant under RLS (default); replication: one cross-tenant run")
        parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
        parser.add_argument("--list", action="store_true",
                            help="list the metric names, groups and titles (with --json: and definitions), then stop")
        parser.add_argument("--sql", action="store_true",
                            help="print the SQL text of the metrics for --dialect instead of running them "
                                 "(with --tenant: filtered to those tenants' ids)")
        parser.add_argument("--dialect", choices=list(DIALECTS), default="postgres",
                            help="with --sql: postgres (default), duckdb (over Silver) or athena (Trino)")
        parser.add_argument("--out", metavar="PATH", help="with --sql: write the text to PATH instead of stdout "
                                                          "(scripts/generate_sample_queries.sql is --dialect athena)")

    def handle(self, *args: Any, **options: Any) -> None:
        available = metric_queries()
        if options["out"] and not options["sql"]:
            raise CommandError("--out goes with --sql")
        if options["list"]:
            self._list(available, as_json=options["json"])
            return
        if options["sql"]:
            self._sql(available, options)
            return
        conn = replication_connection()
        try:
            try:
                queries = select_metrics(options["metric"], available)
                tenants = select_tenants(conn, options["tenant"])
            except SelectionError as exc:
                raise CommandError(str(exc)) from exc
            runs = collect(queries, tenants, role=options["role"], conn=conn)
        finally:
            conn.close()

        if options["json"]:
            document = {
                "role": options["role"],
                "tenants": [{"id": str(t.id), "slug": t.slug, "name": t.name} for t in tenants],
                "metrics": {
                    run.query.name: {
                        "title": run.query.title,
                        "group": run.query.group,
                        "description": run.query.description,
                        "columns": run.columns[1:],
                        "by_tenant": {
                            t.slug: [
                                {k: v for k, v in row.items() if k != "tenant_id"}
                                for row in json_rows(run.columns, run.by_tenant[t.id].rows)
                            ]
                            for t in tenants
                        },
                    }
                    for run in runs
                },
            }
            self.stdout.write(json.dumps(document, indent=2))
            return

        slugs = {t.id: t.slug for t in tenants}
        for run in runs:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{run.query.title}  [{run.query.name}]"))
            if run.query.description and options["verbosity"] >= 2:
                self.stdout.write(run.query.description)
            rows = [(slugs[t.id], *row[1:]) for t in tenants for row in run.by_tenant[t.id].rows]
            self.stdout.write(table(["tenant", *run.columns[1:]], rows))
            self.stdout.write("")

    def _list(self, available: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps([
                {"name": d.name, "title": d.title, "group": d.group, "description": d.description}
                for d in available.values()
            ], indent=2))
            return
        for query in available.values():
            self.stdout.write(f"{query.name:28} {query.group:14} {query.title}")

    def _sql(self, available: dict, options: dict[str, Any]) -> None:
        out = Path(options["out"]) if options["out"] else None
        if out is not None and (out.is_dir() or not out.parent.is_dir()):
            raise CommandError(f"cannot write {out}: not a file in an existing folder")
        try:
            definitions = select_metrics(options["metric"], available)
        except SelectionError as exc:
            raise CommandError(str(exc)) from exc
        if options["tenant"]:
            conn = replication_connection()
            try:
                try:
                    tenants = select_tenants(conn, options["tenant"])
                except SelectionError as exc:
                    raise CommandError(str(exc)) from exc
            finally:
                conn.close()
            text = "\n".join(f"-- tenant {t.slug}\n" + render_all(definitions, options["dialect"], t.id)
                             for t in tenants)
        else:
            text = render_all(definitions, options["dialect"])
        if out is None:
            self.stdout.write(text, ending="")
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(f"wrote {out}: {len(definitions)} metrics, {options['dialect']} dialect")
