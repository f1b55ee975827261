"""``manage.py bench_rls``: what row-level security costs each metric, measured in one run."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from analytics.collect import SelectionError, select_metrics, select_tenants
from analytics.formatting import table
from analytics.rls_bench import (
    DEFAULT_MIN_MS,
    MAX_REPEAT,
    TARGET_RATIO,
    bench_metric,
    context_latency,
    largest_tenant,
    summarise,
    tenant_index_names,
)
from analytics.runner import replication_connection
from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from project.database import connect
from rls.constraints import tenant_scoped_models
from rls.sql import qn

#: The benchmarked tenant's rows per table, keyed as in the JSON output.
COUNTED_MODELS = {"customers": Customer, "products": Product, "orders": Order, "order_items": OrderItem,
                  "events": Event, "subscriptions": Subscription, "invoices": Invoice}
ROW_COUNTS_SQL = "\nUNION ALL ".join(
    f"SELECT '{key}', count(*) FROM {qn(model._meta.db_table)} WHERE tenant_id = %(tenant)s"  # noqa: S608
    for key, model in COUNTED_MODELS.items())


STATS_SQL = """
SELECT relname, greatest(last_analyze, last_autoanalyze)
FROM pg_stat_user_tables WHERE relname = ANY(%s) ORDER BY relname
"""


def tenant_tables() -> list[str]:
    return [model._meta.db_table for model in tenant_scoped_models()]


def analyze_tables() -> None:
    """ANALYZE the tenant tables as the owner (the only role allowed to)."""

    conn = connect("owner")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for table in tenant_tables():
                cursor.execute(f"ANALYZE {qn(table)}")
    finally:
        conn.close()


class Command(BaseCommand):
    help = (
        "Time every metric for one tenant as the app role under its tenant context (RLS) against the same "
        "SQL run as the replication role with an explicit tenant_id filter in every base-table scan, "
        "interleaved in the same run; print median times, the ratio per metric (target <= "
        f"{TARGET_RATIO:.2f}) and the indexes each plan uses (from EXPLAIN (FORMAT JSON)). A third form, the "
        "reference plus a tenant check known only at run time, shows what PostgreSQL itself charges for it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="tenant to measure (default: the one with most orders)")
        parser.add_argument("--metric", action="append", metavar="NAME", help="only this metric (repeatable)")
        parser.add_argument("--repeat", type=int, default=7, metavar="N",
                            help="timed runs of each form, at least (default 7)")
        parser.add_argument("--min-ms", type=float, default=DEFAULT_MIN_MS, metavar="MS",
                            help="run fast metrics again until each form has MS milliseconds of timed work "
                                 f"(at most {MAX_REPEAT} runs; default {DEFAULT_MIN_MS:g}; 0: exactly --repeat runs)")
        parser.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs first (default 1)")
        parser.add_argument("--analyze", action="store_true",
                            help="ANALYZE the tenant tables first, as the owner role (fresh bulk loads have no "
                                 "planner statistics yet, which skews both forms)")
        parser.add_argument("--policy-only", action="store_true",
                            help="run the app form without the explicit bound tenant_id predicate (the policy "
                                 "alone filters; the planner cannot see the tenant): the 'before' figure")
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["repeat"] < 1 or options["warmup"] < 0 or options["min_ms"] < 0:
            raise CommandError("--repeat must be at least 1, --warmup and --min-ms at least 0")
        if options["analyze"]:
            analyze_tables()
        conn = replication_connection()
        try:
            try:
                queries = select_metrics(options["metric"])
                if options["tenant"]:
                    tenant = select_tenants(conn, [options["tenant"]])[0]
                    tenant_id, slug = tenant.id, tenant.slug
                else:
                    largest = largest_tenant(conn)
                    if largest is None:
                        raise SelectionError("there are no tenants in this database; seed some first "
                                             "(python manage.py seed_all)")
                    tenant_id, slug, _ = largest
            except SelectionError as exc:
                raise CommandError(str(exc)) from exc
            with conn.cursor() as cursor:
                cursor.execute(ROW_COUNTS_SQL, {"tenant": str(tenant_id)})
                row_counts = dict(cursor.fetchall())
                cursor.execute("SHOW server_version")
                server_version = cursor.fetchone()[0]
                cursor.execute(STATS_SQL, [tenant_tables()])
                unanalyzed = [row[0] for row in cursor.fetchall() if row[1] is None]
            indexes = tenant_index_names(conn)
            results = []
            for query in queries:
                if options["verbosity"] >= 2 and not options["json"]:
                    self.stderr.write(f"timing {query.name}")
                results.append(bench_metric(conn, query, tenant_id, repeat=options["repeat"],
                                            warmup=options["warmup"], tenant_indexes=indexes,
                                            min_ms=options["min_ms"],
                                            explicit_filter=not options["policy_only"]))
            latency = context_latency(tenant_id)
        finally:
            conn.close()

        document = {
            "benchmark": "rls_read_tax",
            "tenant": slug, "tenant_rows": row_counts, "server_version": server_version,
            "repeat": options["repeat"], "min_ms": options["min_ms"], "warmup": options["warmup"],
            "tables_without_statistics": unanalyzed,
            "app_form": (
                "app role inside tenant_context (RLS policies filter)"
                + ("; no explicit tenant predicate" if options["policy_only"]
                   else " + AND x.tenant_id = %(tenant)s on every tenant-table scan")
            ),
            "explicit_filter": not options["policy_only"],
            "reference_form": "AND x.tenant_id = %(tenant)s on every tenant-table scan, replication role (BYPASSRLS)",
            "one_time_filter_form": (
                "the reference form plus AND x.tenant_id = (SELECT %(tenant)s::uuid) on every tenant-table scan, "
                "replication role (no RLS): the gating Result node (One-Time Filter) PostgreSQL adds for any "
                "tenant value it learns only at run time, as it does for the policies' verified tenant"
            ),
            "summary": summarise(results),
            "tenant_context": latency,
            "metrics": [r.as_dict() for r in results],
        }
        if options["json"]:
            self.stdout.write(json.dumps(document, indent=2))
            return
        self.stdout.write(f"tenant {slug}: " + ", ".join(f"{k} {v:,}" for k, v in row_counts.items()))
        if unanalyzed:
            self.stdout.write(self.style.WARNING(
                f"no planner statistics yet for {', '.join(unanalyzed)}: rerun with --analyze for stable plans"))
        rows = [
            (r.name, r.rows, r.app_median_ms, r.reference_median_ms, r.ratio, r.one_time_filter_ratio,
             r.rls_over_one_time_filter, ",".join(r.app_plan.tenant_indexes) or "-",
             ",".join(r.app_plan.seq_scans) or "-")
            for r in results
        ]
        self.stdout.write(table(["metric", "rows", "app_ms", "reference_ms", "ratio", "one-time filter ratio",
                                 "app / one-time filter", "tenant indexes (app plan)", "seq scans (app plan)"],
                                rows))
        summary = document["summary"]
        self.stdout.write(f"tenant_context entry + exit: median {latency['median_us']} us, "
                          f"p95 {latency['p95_us']} us over {latency['runs']} runs")
        self.stdout.write(
            f"ratio: max {summary['max_ratio']}, median {summary['median_ratio']}, geomean {summary['geomean_ratio']} "
            f"(target <= {TARGET_RATIO}); over target: {', '.join(summary['over_target']) or 'none'}; "
            f"app plan differs from the reference plan: {', '.join(summary['plans_differ']) or 'none'}"
        )
        self.stdout.write(
            f"one-time filter alone (no RLS): max {summary['one_time_filter_max_ratio']}, median "
            f"{summary['one_time_filter_median_ratio']}; over target without RLS: "
            f"{', '.join(summary['over_target_without_rls']) or 'none'}"
        )
