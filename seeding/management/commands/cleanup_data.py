"""``cleanup_data``: delete generated data with DELETE (never TRUNCATE), in batches, after confirmation.

AWS DMS does not replicate TRUNCATE from PostgreSQL, so a CDC pipeline only sees removals
made with DELETE. Each tenant is deleted in one transaction (never left half-deleted), in
keyset batches of ``--batch-size`` rows; events are append-only and are deleted under
``pgtrigger.ignore`` of their guard trigger, which is what it exists for.

Deleting is not undoable, so the command first counts what it would delete (per tenant
and table, read through the replication role) and asks; ``--dry-run`` stops after the
count, ``--yes`` (or ``--no-input``) skips the question, and without a terminal to ask on
it refuses rather than guessing. A Ctrl-C stops at the next batch: the tenant in flight
rolls back, and the error names the tenants deleted completely and those left untouched.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError

from project.logs import CommandStream, command_logging
from seeding import options as opts
from seeding.engine import (
    DEFAULT_DELETE_BATCH,
    UNITS,
    CleanupResult,
    ExistingTenant,
    cleanup,
    count_rows,
    existing_tenants,
    with_dependents,
)
from seeding.interrupt import StopSignal, stop_on_sigint
from seeding.management.commands._base import database_errors
from seeding.progress import for_command
from seeding.tables import short as _short


class Command(BaseCommand):
    help = ("Delete generated tenants and their rows (or only some tables) with batched DELETEs, after showing "
            "what would be deleted and asking (--dry-run only shows, --yes does not ask).")
    #: ``call_command(..., stdin=...)`` answers the question (as for ``createsuperuser``).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", default=None,
                            help="only this tenant (any tenant, generated or not); default: every generated tenant")
        parser.add_argument("--only", default=None,
                            help=f"comma-separated tables to empty, keeping the tenants: {', '.join(UNITS)} "
                                 "(tables whose rows refer to them are emptied too)")
        parser.add_argument("--batch-size", dest="batch_size", default=None,
                            help=f"rows per DELETE, {opts.MIN_BATCH}-{opts.MAX_BATCH} (default {DEFAULT_DELETE_BATCH})")
        parser.add_argument("--dry-run", dest="dry_run", action="store_true",
                            help="print what would be deleted, per tenant and table, and delete nothing")
        parser.add_argument("--yes", "--no-input", "--noinput", dest="yes", action="store_true",
                            help="do not ask for confirmation (needed when not run on a terminal)")

    def handle(self, *args: Any, **options: Any) -> None:
        with database_errors():
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        verbosity = int(options.get("verbosity", 1))
        batch = opts.batch_size_from_options(options, DEFAULT_DELETE_BATCH)
        units = self._units(options.get("only"), verbosity)
        targets = self._targets(options.get("tenant"))
        if not targets:
            self.stdout.write("nothing to delete: there are no generated tenants")
            return
        planned = count_rows(targets, units)
        rows = sum(sum(t.values()) for t in planned.values())
        if options.get("dry_run"):
            self.stdout.write(plan_text(planned))
            self.stdout.write(f"dry run: would delete {rows:,} rows of {len(targets)} tenant(s); nothing was deleted")
            return
        if not options.get("yes") and not self._confirmed(planned, rows, options.get("stdin") or sys.stdin):
            self.stdout.write("cancelled: nothing was deleted")
            return
        stream = CommandStream(self.stderr)
        stop = StopSignal()
        with command_logging(verbosity, stream), stop_on_sigint(stop, "tenants"):
            progress = for_command(verbosity, stream, verb="deleting")
            try:
                result = cleanup(targets, units, batch_size=batch, progress=progress, stop=stop)
            finally:
                progress.close()
        if result.interrupted:
            raise CommandError(interrupted(result))
        if verbosity >= 1:
            self.stdout.write(f"deleted {result.rows:,} rows of {len(result.deleted)} tenant(s) with DELETE")

    def _units(self, only: str | None, verbosity: int) -> set[str] | None:
        if not only:
            return None
        units = {u.strip() for u in only.split(",") if u.strip()}
        unknown = sorted(units - set(UNITS))
        if unknown or not units:
            raise CommandError(f"--only takes {', '.join(UNITS)}; unknown: {', '.join(unknown) or '(empty)'}")
        also = sorted(with_dependents(units) - units)
        if also and verbosity >= 1:
            self.stdout.write(f"also emptying {', '.join(also)}: their rows refer to what --only names")
        return with_dependents(units)

    def _targets(self, slug: str | None) -> list[ExistingTenant]:
        tenants = existing_tenants()
        if not slug:
            return [t for t in tenants if t.fingerprint is not None]
        targets = [t for t in tenants if t.slug == slug]
        if not targets:
            raise CommandError(f"no tenant with slug {slug!r}; existing: "
                               f"{', '.join(t.slug for t in tenants) or 'none'}")
        return targets

    def _confirmed(self, planned: dict[str, dict[str, int]], rows: int, stdin: IO[str]) -> bool:
        isatty = getattr(stdin, "isatty", None)
        if not (isatty and isatty()):
            raise CommandError(f"cleanup_data would delete {rows:,} rows of {len(planned)} tenant(s) and needs a "
                               "confirmation: run it on a terminal, or pass --yes (see --dry-run for the list)")
        self.stdout.write(plan_text(planned))
        self.stdout.write(f"Delete {rows:,} rows of {len(planned)} tenant(s)? This cannot be undone. "
                          "Type 'yes' to continue: ", ending="")
        self.stdout.flush()
        try:
            answer = stdin.readline()
        except KeyboardInterrupt:
            answer = ""
        return answer.strip().lower() == "yes"


def plan_text(planned: dict[str, dict[str, int]]) -> str:
    """One line per tenant: its rows in total and per table, as cleanup would delete them."""
    width = max(len(slug) for slug in planned)
    lines = []
    for slug, tables in planned.items():
        parts = ", ".join(f"{_short(table)} {n:,}" for table, n in tables.items())
        lines.append(f"{slug:<{width}} {sum(tables.values()):>10,} rows: {parts}")
    return "\n".join(lines)


def interrupted(result: CleanupResult) -> str:
    done = sorted(result.deleted)
    return (f"interrupted: deleted {result.rows:,} rows, {len(done)} tenant(s) completely "
            f"({', '.join(done) or 'none'}), and left {len(result.untouched)} untouched "
            f"({', '.join(result.untouched) or 'none'}); run the same command again to delete the rest")
