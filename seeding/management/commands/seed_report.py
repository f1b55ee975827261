"""``seed_report``: counts and realism figures per tenant and overall (text or ``--json``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from seeding import seed_report
from seeding.management.commands._base import database_errors


class Command(BaseCommand):
    help = "Print per-tenant and overall counts, the realism figures of docs/REQUIREMENTS.md and integrity checks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of text")
        parser.add_argument("--tenant", default=None, help="only this tenant (slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        with database_errors():
            doc = seed_report.build(options.get("tenant"))
        if options.get("tenant") and not doc["tenants"]:
            raise CommandError(f"no tenant with slug {options['tenant']!r}")
        if options.get("json"):
            self.stdout.write(json.dumps(doc, indent=2, default=str))
        else:
            self.stdout.write(seed_report.render(doc))
