"""``changepassword`` through the ``staff`` alias unless told otherwise (see createsuperuser)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands.changepassword import Command as DjangoCommand

from project.routers import default_to_staff_alias


class Command(DjangoCommand):
    help = DjangoCommand.help + " Uses the staff role (database alias 'staff') by default."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        default_to_staff_alias(parser)
