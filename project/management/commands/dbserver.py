"""Manage the local PostgreSQL server in .pgdata/ (used when DATABASE_URL is not set)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from devdb.server import ServerError
from project.database import local_server, uses_local_server


class Command(BaseCommand):
    help = "start | stop | restart | status of the local PostgreSQL server in .pgdata/."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["start", "stop", "restart", "status"])
        parser.add_argument("--json", action="store_true", help="status as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if not uses_local_server():
            raise CommandError("DATABASE_URL or DATABASE_HOST is set: this project is using an external server.")
        server = local_server()
        try:
            if options["action"] == "start":
                server.ensure_running()
                self.stdout.write(f"running on 127.0.0.1:{server.port} (data in {server.data_dir})")
            elif options["action"] == "stop":
                self.stdout.write("stopped" if server.stop() else "was not running")
            elif options["action"] == "restart":
                server.restart()
                self.stdout.write(f"restarted on 127.0.0.1:{server.port}")
            else:
                status = server.status()
                if options["json"]:
                    self.stdout.write(json.dumps(status))
                else:
                    for key, value in status.items():
                        self.stdout.write(f"{key:12} {value}")
        except ServerError as exc:
            raise CommandError(str(exc)) from exc
