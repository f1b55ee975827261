"""The settings ``rls`` reads, each through one function called at use time.

One place to see what ``rls`` can be configured with (as ``pgtrigger/features.py`` does);
reading at call time lets tests use ``override_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings


def role_names() -> Mapping[str, str]:
    """``LAKEHOUSE_ROLES``: role key (owner, app, replication, resolver) -> PostgreSQL role name."""
    return settings.LAKEHOUSE_ROLES


def migration_database() -> str:
    """``RLS_MIGRATION_DATABASE``: the alias whose role owns the tables (default ``owner``).

    ``migrate`` through any other alias is refused, and the runtime checks skip it.
    """
    return str(getattr(settings, "RLS_MIGRATION_DATABASE", "owner"))


__all__ = ["migration_database", "role_names"]
