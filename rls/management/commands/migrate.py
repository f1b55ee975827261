"""``migrate`` that runs as the owner role unless told otherwise.

Tables must belong to the owner, never to the runtime role, so ``python manage.py migrate``
connects as the owner (the ``owner`` database alias) without extra flags. The RLS system
checks do not block it: migrating is how a database without its policies gets them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks.registry import registry
from django.core.management.commands.migrate import Command as DjangoMigrateCommand


class Command(DjangoMigrateCommand):
    help = DjangoMigrateCommand.help + " Runs as the owner role (database alias 'owner') by default."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        if "owner" in settings.DATABASES:
            parser.set_defaults(database="owner")

    def check(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("tags"):
            kwargs["tags"] = [tag for tag in registry.tags_available() if tag != "rls"]
        super().check(*args, **kwargs)
