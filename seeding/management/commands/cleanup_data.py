"""``cleanup_data``: delete generated data with DELETE (never TRUNCATE), in batches.

AWS DMS does not replicate TRUNCATE from PostgreSQL, so a CDC pipeline only sees removals
made with DELETE. Each tenant is deleted in one transaction (never left half-deleted), in
keyset batches of ``--batch-size`` rows; events are append-only and are deleted under
``pgtrigger.ignore`` of their guard trigger, which is what it exists for.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from seeding import options as opts
from seeding.engine import DEFAULT_DELETE_BATCH, UNITS, cleanup, existing_tenants, with_dependents
from seeding.progress import for_command


class Command(BaseCommand):
    help = "Delete generated tenants and their rows (or only some tables) with batched DELETEs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", default=None,
                            help="only this tenant (any tenant, generated or not); default: every generated tenant")
        parser.add_argument("--only", default=None,
                            help=f"comma-separated tables to empty, keeping the tenants: {', '.join(UNITS)} "
                                 "(tables whose rows refer to them are emptied too)")
        parser.add_argument("--batch-size", dest="batch_size", default=None,
                            help=f"rows per DELETE, {opts.MIN_BATCH}-{opts.MAX_BATCH} (default {DEFAULT_DELETE_BATCH})")

    def handle(self, *args: Any, **options: Any) -> None:
        batch = opts.batch_size_from_options(options, DEFAULT_DELETE_BATCH)
        units = None
        if options.get("only"):
            units = {u.strip() for u in options["only"].split(",") if u.strip()}
            unknown = sorted(units - set(UNITS))
            if unknown:
                raise CommandError(f"--only takes {', '.join(UNITS)}; unknown: {', '.join(unknown)}")
            also = sorted(with_dependents(units) - units)
            units = with_dependents(units)
            if also and int(options.get("verbosity", 1)) >= 1:
                self.stdout.write(f"also emptying {', '.join(also)}: their rows refer to what --only names")
        tenants = existing_tenants()
        if options.get("tenant"):
            targets = [t for t in tenants if t.slug == options["tenant"]]
            if not targets:
                raise CommandError(f"no tenant with slug {options['tenant']!r}; existing: "
                                   f"{', '.join(t.slug for t in tenants) or 'none'}")
        else:
            targets = [t for t in tenants if t.fingerprint is not None]
        verbosity = int(options.get("verbosity", 1))
        progress = for_command(verbosity, self.stderr._out)
        try:
            deleted = cleanup(targets, units, batch_size=batch, progress=progress)
        finally:
            progress.close()
        if verbosity >= 1:
            self.stdout.write(f"deleted {sum(deleted.values()):,} rows of {len(deleted)} tenant(s) with DELETE")
