"""Create the database and the owner, app, replication and resolver roles (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from project.bootstrap import BootstrapError, bootstrap
from project.database import current_database_name
from project.logs import command_logging


class Command(BaseCommand):
    help = "Create the database and its roles with least-privilege grants. Safe to run repeatedly."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database-name", help="Database to create (default: DATABASE_NAME / settings).")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["database_name"] or current_database_name()
        try:
            with command_logging(options["verbosity"], self.stdout):
                bootstrap(name)
        except BootstrapError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"bootstrap_db: {name} is ready; now run: python manage.py migrate --database owner"))
