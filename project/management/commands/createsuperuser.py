"""``createsuperuser`` that writes through the ``staff`` alias unless told otherwise.

Django's own command defaults to the ``default`` alias, the app role, which may not touch
``auth_user`` (project.routers). So ``python manage.py createsuperuser`` works as is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands.createsuperuser import Command as DjangoCommand

from project.routers import default_to_staff_alias


class Command(DjangoCommand):
    help = DjangoCommand.help + " Uses the staff role (database alias 'staff') by default."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        default_to_staff_alias(parser)
