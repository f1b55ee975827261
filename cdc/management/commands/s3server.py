"""``manage.py s3server start|stop|status``: the local S3 endpoint (moto) that s3:// targets use by default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devdb.s3 import LocalS3
from devdb.server import ServerError


class Command(BaseCommand):
    help = ("Start, stop or show the local S3 server (moto on 127.0.0.1, objects in memory) that dms_task uses "
            "for s3:// targets when neither --s3-endpoint nor AWS_ENDPOINT_URL is set.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("start", "stop", "status"))

    def handle(self, *args: Any, **options: Any) -> None:
        server = LocalS3(Path(os.environ.get("LAKEHOUSE_S3_DIR", Path(settings.BASE_DIR) / ".s3")))
        action = options["action"]
        try:
            if action == "start":
                self.stdout.write(f"local S3 at {server.ensure_running()}")
            elif action == "stop":
                self.stdout.write("stopped" if server.stop() else "was not running")
            else:
                self.stdout.write(f"running at {server.endpoint_url}" if server.is_running() else "not running")
        except ServerError as exc:
            raise CommandError(str(exc)) from exc
