"""The one command class behind ``seed_all``, ``seed_tenants`` ... ``seed_invoices``.

Each command module only names its units; options, validation, progress and the summary
live here, and the work lives in :mod:`seeding.engine`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from seeding import options as opts
from seeding.engine import SeedError, SeedRequest, SeedResult, seed
from seeding.progress import for_command


class SeedCommand(BaseCommand):
    units: tuple[str, ...] = ()
    what = ""

    def add_arguments(self, parser: Any) -> None:
        opts.add_world_arguments(parser)
        opts.add_run_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        spec = opts.world_from_options(options)
        request = SeedRequest(spec=spec, units=self.units, tenant=options.get("tenant"),
                              clean=bool(options.get("clean")), workers=opts.workers_from_options(options),
                              batch_size=opts.batch_size_from_options(options))
        verbosity = int(options.get("verbosity", 1))
        progress = for_command(verbosity, self.stderr._out)
        try:
            result = seed(request, progress)
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            raise CommandError("interrupted: tenants already committed are complete; the tenant(s) in flight "
                               "were rolled back. Run the same command again to carry on.") from None
        finally:
            progress.close()
        if verbosity >= 1:
            self.stdout.write(summary(result, spec.describe()))

def summary(result: SeedResult, described: str) -> str:
    lines = [f"world: {described}"]
    if result.cleaned:
        lines.append(f"cleaned: {sum(result.cleaned.values()):,} rows of {len(result.cleaned)} tenant(s)")
    seeded = [t for t in result.tenants if not t.skipped]
    skipped = [t for t in result.tenants if t.skipped]
    if skipped:
        lines.append(f"skipped (already there): {', '.join(t.slug for t in skipped)}")
    for table, (rows, seconds) in sorted(result.table_totals().items()):
        rate = rows / seconds if seconds else 0.0
        lines.append(f"  {table:<26} {rows:>10,} rows  {rate:>10,.0f} rows/s (loader)")
    rate = result.rows / result.seconds if result.seconds else 0.0
    lines.append(f"seeded {len(seeded)} tenant(s), {result.rows:,} rows in {result.seconds:.1f}s "
                 f"({rate:,.0f} rows/s overall)")
    return "\n".join(lines)
