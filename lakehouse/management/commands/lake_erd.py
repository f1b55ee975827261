"""``manage.py lake_erd``: print (or write to docs/erd.md) the source schema as a Mermaid ER diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from lakehouse.erd import erd_markdown


def erd_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "erd.md"


class Command(BaseCommand):
    help = "Print the entity-relationship diagram of the replicated tables (Mermaid), or write docs/erd.md."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="write docs/erd.md instead of printing")

    def handle(self, *args: Any, **options: Any) -> None:
        text = erd_markdown()
        if options["write"]:
            erd_path().write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {erd_path()}")
        else:
            self.stdout.write(text, ending="")
