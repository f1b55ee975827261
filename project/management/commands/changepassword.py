"""``changepassword`` through the ``staff`` alias unless told otherwise (see createsuperuser)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.management.commands.changepassword import Command as DjangoCommand

from project.routers import STAFF_ALIAS


class Command(DjangoCommand):
    help = DjangoCommand.help + " Uses the staff role (database alias 'staff') by default."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        if STAFF_ALIAS in settings.DATABASES:
            parser.set_defaults(database=STAFF_ALIAS)
