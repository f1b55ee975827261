"""The main job of ``make demo``: seed a small history and print what is there."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Seed a small multi-tenant history under tenant contexts and print the seed report."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if "seed_all" not in get_commands():
            raise CommandError("the seeding engine is not installed (seeding app missing)")
        call_command("seed_all", scale=options["scale"], seed=options["seed"], clean=True,
                     verbosity=options["verbosity"])
        call_command("seed_report", verbosity=options["verbosity"])
