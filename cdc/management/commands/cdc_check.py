"""``manage.py cdc_check``: prove locally that every simulated change reaches the consumer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.landing import FolderStore, LandingError
from cdc.pgbench import run_pgbench
from cdc.roundtrip import CheckError, run_check
from cdc.workload import MAX_WORKERS
from cdc.workload.selection import SelectionError, create_simulation_tenant, parse_operations, resolve_tenants
from project.database import uses_local_server


class Command(BaseCommand):
    help = ("Run simulate_activity and cdc_tail together and compare the simulator's ledger with what the "
            "consumer captured; exits non-zero when anything is missing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=30.0, help="how long to simulate")
        parser.add_argument("--rate", type=float, default=30000, help="operations per minute (0 = flat out)")
        parser.add_argument("--workers", type=int, default=2, help="simulator threads (default 2)")
        parser.add_argument("--operations", default="all")
        parser.add_argument("--tenants", default=None, help="comma list of tenant slugs (default: all active)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--out", default=None, help="keep the consumer's files here (default: a temp dir)")
        parser.add_argument("--restart-postgres", action="store_true",
                            help="restart the local PostgreSQL server halfway through")
        parser.add_argument("--pgbench-seconds", type=int, default=10,
                            help="measure pgbench TPS on the same server afterwards (0 = skip)")
        parser.add_argument("--batch-interval", type=float, default=10.0,
                            help="the consumer's CdcMaxBatchInterval in seconds (default 10)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seconds"] <= 0:
            raise CommandError("--seconds must be a positive number.")
        if options["rate"] < 0:
            raise CommandError("--rate must be 0 (flat out) or a positive number of operations per minute.")
        if not 1 <= options["workers"] <= MAX_WORKERS:
            raise CommandError(f"--workers must be between 1 and {MAX_WORKERS} (got {options['workers']}).")
        if options["batch_interval"] <= 0:
            raise CommandError("--batch-interval must be a positive number of seconds.")
        if options["out"]:
            try:
                FolderStore(Path(options["out"])).check_writable()
            except LandingError as exc:
                raise CommandError(f"--out: {exc}") from exc
        if options["restart_postgres"] and not uses_local_server():
            raise CommandError("--restart-postgres only works with the local server (no DATABASE_URL/HOST).")
        try:
            operations = parse_operations(options["operations"])
            tenants = resolve_tenants(options["tenants"]) or [create_simulation_tenant()]
        except SelectionError as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["json"]
        try:
            result = run_check(
                seconds=options["seconds"], rate_per_minute=options["rate"], tenant_ids=tenants,
                workers=options["workers"], operations=operations, seed=options["seed"],
                out_dir=Path(options["out"]) if options["out"] else None,
                restart_postgres=options["restart_postgres"], batch_interval=options["batch_interval"],
                log=(lambda m: None) if quiet else (lambda m: self.stderr.write(m)),
            )
        except CheckError as exc:
            raise CommandError(str(exc)) from exc
        if options["pgbench_seconds"] > 0:

            if not quiet:
                self.stderr.write(f"measuring pgbench for {options['pgbench_seconds']} s")
            bench = run_pgbench(seconds=options["pgbench_seconds"])
            result["pgbench"] = bench
            if "tps" in bench and result["ops_per_second"]:
                result["ops_per_second_vs_pgbench_tps"] = round(result["ops_per_second"] / bench["tps"], 3)
        if quiet:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self._print(result)
        sys.stdout.flush()
        if not result["passed"]:
            raise CommandError(f"{result['missing']} captured change(s) are missing.")

    def _print(self, r: dict[str, Any]) -> None:
        consumer = r["consumer"]
        self.stdout.write(
            f"operations {r['operations']:,} in {r['seconds']} s ({r['ops_per_second']}/s, {r['workers']} workers); "
            f"row changes {r['row_changes']:,}")
        self.stdout.write(
            f"captured {r['captured']:,}  missing {r['missing']:,}  duplicates {r['duplicates']:,}  "
            f"unexpected {r['unexpected']:,}  lag p50 {r['lag_p50_seconds']} s  p95 {r['lag_p95_seconds']} s")
        self.stdout.write(
            f"consumer: {consumer['transactions']:,} transactions, {consumer['rows']:,} rows in {consumer['files']:,} "
            f"files ({consumer['flushes']:,} flushes, batch interval {r['batch_interval_seconds']:g} s), "
            f"reconnects {consumer['reconnects']}")
        if r.get("restart_postgres"):
            sim = r["simulator"]
            restart = r["restart_postgres"]
            how = (f"restarted in {restart['seconds']} s" if restart.get("restarted")
                   else f"not restarted ({restart.get('error')})")
            self.stdout.write(f"PostgreSQL restart: {how}; simulator reconnects {sim['reconnects']}, "
                              f"in-doubt commits {sim['in_doubt']} (of which committed {sim['in_doubt_committed']})")
        for table, ops in r["tables"].items():
            cells = "  ".join(f"{op} {f['captured']}/{f['expected']}" + (f" (missing {f['missing']})"
                              if f["missing"] else "") for op, f in ops.items())
            self.stdout.write(f"  {table:<26} {cells}")
        if "pgbench" in r:
            bench = r["pgbench"]
            if "tps" in bench:
                self.stdout.write(
                    f"pgbench: {bench['tps']:,.0f} TPS ({bench['script']}, {bench['clients']} clients, "
                    f"{bench['seconds']} s); ops/s ÷ TPS = {r.get('ops_per_second_vs_pgbench_tps')}")
            else:
                self.stdout.write(f"pgbench: not measured ({bench.get('error')})")
        self.stdout.write("PASSED: nothing missing" if r["passed"] else "FAILED: changes missing")
