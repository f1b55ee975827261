"""``manage.py simulate_activity``: live tenant activity for CDC (see cdc/workload/simulator.py)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.workload.selection import SelectionError, create_simulation_tenant, parse_operations, resolve_tenants
from cdc.workload.simulator import CATEGORIES, run_workers


class Command(BaseCommand):
    help = "Generate realistic, CDC-friendly activity under tenant contexts and print a ledger of it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--duration", type=float, default=1.0, help="minutes to run; 0 = until Ctrl-C")
        parser.add_argument("--rate", type=float, default=600, help="operations per minute; 0 = flat out")
        parser.add_argument("--operations", default="all", help=f"comma list of {','.join(CATEGORIES)} or all")
        parser.add_argument("--tenants", default=None, help="comma list of tenant slugs (default: all active)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible choices)")
        parser.add_argument("--workers", type=int, default=2, help="parallel connections (threads), default 2")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--ledger", default=None, help="also write the summary JSON to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["duration"] < 0:
            raise CommandError("--duration must be 0 (until interrupted) or a positive number of minutes.")
        if options["rate"] < 0:
            raise CommandError("--rate must be 0 (as fast as possible) or a positive number of operations/minute.")
        try:
            operations = parse_operations(options["operations"])
            tenants = resolve_tenants(options["tenants"])
        except SelectionError as exc:
            raise CommandError(str(exc)) from exc
        if not tenants:
            tenants = [create_simulation_tenant()]
            self.stderr.write(f"no tenants found: created {tenants[0]} to simulate on")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        tty = sys.stderr.isatty()

        def status(line: str) -> None:
            if tty:
                sys.stderr.write("\r\x1b[2K" + line)
                sys.stderr.flush()

        seconds = options["duration"] * 60 or None
        summary = run_workers(tenants, workers=options["workers"], operations=operations, seed=options["seed"],
                              seconds=seconds, rate_per_minute=options["rate"], on_status=status)
        if tty:
            sys.stderr.write("\n")
        result = summary.as_dict()
        result["tenants"] = [str(t) for t in tenants]
        if options["ledger"]:
            with open(options["ledger"], "w") as handle:
                json.dump(result, handle, indent=2)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"{result['operations']} operations in {result['seconds']} s ({result['ops_per_second']}/s), "
            f"errors {result['errors']}, retries {result['retries']}, reconnects {result['reconnects']}, "
            f"in-doubt commits {result['in_doubt']} (committed {result['in_doubt_committed']})")
        for name, count in result["by_type"].items():
            self.stdout.write(f"  {name:<10} {count}")
        self.stdout.write("ledger (committed row changes):")
        for table, counts in result["ledger"].items():
            self.stdout.write(f"  {table:<26} I {counts['I']:>7}  U {counts['U']:>7}  D {counts['D']:>7}")
