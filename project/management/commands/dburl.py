"""Print a libpq URI for one role, to hand to DMS, psql or pgAdmin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from project.database import ROLE_KEYS, current_database_name, role_url


class Command(BaseCommand):
    help = "Print the connection URI of a role: app (runtime), owner (migrations), replication (DMS), admin."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--role", choices=ROLE_KEYS, default="app")

    def handle(self, *args: Any, **options: Any) -> None:
        # The database Django is configured for (the test database under pytest).
        self.stdout.write(role_url(options["role"], dbname=current_database_name()))
