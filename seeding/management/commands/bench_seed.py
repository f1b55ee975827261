"""``bench_seed``: wall time, rows/s and peak RSS of seeding, against a raw-COPY reference."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from project.bootstrap import BootstrapError
from project.logs import CommandStream, command_logging
from seeding import bench
from seeding import distributions as D
from seeding import options as opts
from seeding.interrupt import Stopped, StopSignal, stop_on_sigint
from seeding.management.commands._base import database_errors
from seeding.progress import for_command


class Command(BaseCommand):
    help = ("Seed fresh scratch databases and print seconds, rows/s per table, peak RSS and the ratio "
            "reference_seconds / seed_seconds against raw COPY of the same rows.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", default="medium", help="small | medium | large (default medium)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--seed", default=None, help="random seed (default 1)")
        parser.add_argument("--tenants", default=None, help=f"tenants (default {D.DEFAULT_TENANTS})")
        parser.add_argument("--workers", default=None, help="parallel tenants (default: CPU count)")
        parser.add_argument("--batch-size", dest="batch_size", default=None, help="rows per COPY batch")

    def handle(self, *args: Any, **options: Any) -> None:
        spec = opts.world_from_options({k: options.get(k) for k in ("scale", "seed", "tenants")})
        verbosity = int(options.get("verbosity", 1))
        if options.get("json"):
            verbosity = min(verbosity, 1)
        workers, batch_size = opts.workers_from_options(options), opts.batch_size_from_options(options)
        stream = CommandStream(self.stderr)
        stop = StopSignal()
        with command_logging(verbosity, stream), stop_on_sigint(stop, "tenants"), database_errors():
            progress = for_command(verbosity, stream)
            try:
                doc = bench.run(spec.scale, seed_value=spec.seed, tenants=spec.tenants, workers=workers,
                                batch_size=batch_size, progress=progress, stop=stop)
            except BootstrapError as exc:  # the scratch databases need the admin role
                raise CommandError(str(exc)) from None
            except Stopped:
                raise CommandError("benchmark interrupted: no figures; its scratch databases were dropped") from None
            finally:
                progress.close()
        if options.get("json"):
            self.stdout.write(json.dumps(doc, indent=2))
            return
        self.stdout.write(f"bench_seed {doc['scale']}: {doc['world']} (workers {doc['workers']}, "
                          f"{doc['cpu_count']} CPUs)")
        for part in ("seed", "reference"):
            d = doc[part]
            self.stdout.write(f"{part:<10} {d['seconds']:>8.2f} s  {d['rows']:>10,} rows  "
                              f"{d['rows_per_second']:>9,} rows/s")
            for table, t in d["tables"].items():
                rate = f"{t['rows_per_second']:,}" if t["rows_per_second"] else "-"
                self.stdout.write(f"    {table:<26} {t['rows']:>10,} rows {rate:>10} rows/s")
        self.stdout.write(f"ratio (reference/seed): {doc['ratio']}   peak RSS: {doc['peak_rss_mb']} MB per process, "
                          f"{doc['peak_total_pss_mb']} MB all processes (PSS)   "
                          f"targets: {doc['targets']}")
