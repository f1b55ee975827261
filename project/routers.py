"""Database routing: Django's own tables through the ``staff`` alias, everything else as the app.

The serving role (``default``, the app role) has no privilege on Django's auth, admin-log,
session and content-type tables (:func:`rls.roles.staff_table_statements`), so SQL run as
that role cannot create a superuser, read a password hash or steal a session. The admin and
the login machinery reach those tables through the ``staff`` alias, which connects as the
staff role: that role has no grant on any tenant table, so admin pages about tenant data
still run as the app role inside ``tenant_context`` and RLS stays the boundary.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

from rls.conf import migration_database

STAFF_ALIAS = "staff"
#: Django apps whose every table belongs to the staff role.
STAFF_APPS = frozenset({"auth", "admin", "sessions", "contenttypes"})
#: Project models that belong with them (who may administer which tenant; the admin log's tenant).
STAFF_MODELS = frozenset({"tenancy.stafftenantaccess", "tenancy.adminlogtenant"})


def is_staff_model(model: type[models.Model] | models.Model) -> bool:
    """For a model class or an instance (lazy objects such as ``request.user`` included)."""
    return model._meta.app_label in STAFF_APPS or model._meta.label_lower in STAFF_MODELS


def default_to_staff_alias(parser: Any) -> None:
    """Make ``--database`` default to the staff alias (Django's auth commands default to the app role)."""
    if STAFF_ALIAS in settings.DATABASES:
        parser.set_defaults(database=STAFF_ALIAS)


def staff_tables() -> list[str]:
    """The tables of every staff-routed model, many-to-many tables included."""
    return sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)
                   if is_staff_model(model)})


class StaffRouter:
    """Send staff models to the ``staff`` alias; migrate through the owner's alias only.

    Every alias points at the same database, so only the migration alias may apply or even
    inspect migrations: ``makemigrations --check`` would otherwise read ``django_migrations``
    through roles that have no business there (the loader, the staff role).
    """

    def _route(self, model: type[models.Model]) -> str | None:
        return STAFF_ALIAS if is_staff_model(model) and STAFF_ALIAS in settings.DATABASES else None

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return self._route(model)

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return self._route(model)

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        if is_staff_model(obj1) and is_staff_model(obj2):
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db == migration_database()
