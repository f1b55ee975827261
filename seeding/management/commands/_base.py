"""The one command class behind ``seed_all``, ``seed_tenants`` ... ``seed_invoices``.

Each command module only names its units; options, validation, progress, Ctrl-C and the
summary live here, and the work lives in :mod:`seeding.engine`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError

from project.database import DatabaseUnavailable
from project.logs import CommandStream, command_logging
from seeding import options as opts
from seeding.engine import SeedError, SeedRequest, SeedResult, seed
from seeding.interrupt import StopSignal, stop_on_sigint
from seeding.progress import for_command


@contextmanager
def database_errors() -> Iterator[None]:
    """An unreachable or lost server as one sentence saying what to do, not a driver traceback."""
    try:
        yield
    except DatabaseUnavailable as exc:
        raise CommandError(str(exc)) from None  # already the sentence: what was tried and what to do
    except (psycopg2.OperationalError, OperationalError) as exc:
        lines = str(exc).strip().splitlines()
        raise CommandError(f"PostgreSQL is not reachable ({lines[0] if lines else type(exc).__name__}): start it "
                           "with `python manage.py dbserver start`, or check DATABASE_URL / DATABASE_HOST") from None


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
        stream = CommandStream(self.stderr)
        stop = StopSignal()
        with command_logging(verbosity, stream), stop_on_sigint(stop, "tenants"), database_errors():
            progress = for_command(verbosity, stream)
            try:
                result = seed(request, progress, stop)
            except SeedError as exc:
                raise CommandError(str(exc)) from exc
            finally:
                progress.close()
        if verbosity >= 1:
            self.stdout.write(summary(result, spec.describe()))
        if result.interrupted:
            raise CommandError(interrupted(result))


def _names(slugs: list[str]) -> str:
    return ", ".join(slugs) if slugs else "none"


def interrupted(result: SeedResult) -> str:
    """One sentence: which tenants are complete and which were not written at all."""
    cleaned = result.cleaned
    if cleaned.interrupted:
        return (f"interrupted while cleaning: deleted {_names(sorted(cleaned.deleted))} completely and left "
                f"{_names(cleaned.untouched)} untouched; nothing was seeded, run the same command again to carry on")
    done = [t.slug for t in result.seeded]
    return (f"interrupted: {len(done)} tenant(s) seeded completely ({_names(done)}) and {len(result.not_seeded)} "
            f"not seeded, with nothing of them written ({_names(result.not_seeded)}); run the same command again "
            "to carry on")


def summary(result: SeedResult, described: str) -> str:
    lines = [f"world: {described}"]
    if result.cleaned.deleted:
        lines.append(f"cleaned: {result.cleaned.rows:,} rows of {len(result.cleaned.deleted)} tenant(s)")
    skipped = [t for t in result.tenants if t.skipped]
    if skipped:
        lines.append(f"skipped (already there): {', '.join(t.slug for t in skipped)}")
    for table, (rows, seconds) in sorted(result.table_totals().items()):
        rate = rows / seconds if seconds else 0.0
        lines.append(f"  {table:<26} {rows:>10,} rows  {rate:>10,.0f} rows/s (loader)")
    rate = result.rows / result.seconds if result.seconds else 0.0
    lines.append(f"seeded {len(result.seeded)} tenant(s) ({result.tenants_created} new) and {result.rows:,} rows "
                 f"in {result.seconds:.1f}s ({rate:,.0f} rows/s overall)")
    return "\n".join(lines)
