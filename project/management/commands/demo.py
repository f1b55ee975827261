"""The main job of ``make demo``: a seeded world, its report, and (later steps) the lake.

Safe to run again: an existing world is kept (and the command says so) unless ``--clean``
asks to rebuild it; ``make reseed`` and ``DEMO_CLEAN=1 make demo`` pass ``--clean``.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from seeding.engine import existing_tenants


class Command(BaseCommand):
    help = ("Seed a small multi-tenant history under tenant contexts (kept if one exists; --clean rebuilds it) "
            "and print the seed report.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--clean", action="store_true",
                            help="delete the existing world and seed a new one (default: keep it)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = existing_tenants()
        if tenants and not options["clean"]:
            self.stdout.write(
                f"Keeping the existing world of {len(tenants)} tenants; "
                "run `make reseed` (or DEMO_CLEAN=1 make demo) to delete it and seed a new one.")
        else:
            call_command("seed_all", scale=options["scale"], seed=options["seed"], clean=options["clean"],
                         verbosity=options["verbosity"])
        call_command("seed_report", verbosity=options["verbosity"])
