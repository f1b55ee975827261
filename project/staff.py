"""Apply the staff role's table grants (:func:`rls.roles.staff_table_statements`).

Run after every ``migrate`` (a ``post_migrate`` receiver, as the owner that owns the tables)
and by ``bootstrap_db`` (whose schema-wide grants would otherwise hand Django's tables back
to the app role until the next migrate).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections

from project.routers import staff_tables
from rls.conf import migration_database
from rls.roles import (
    EXISTING_TABLES_SQL,
    MIGRATIONS_TABLE,
    OWNED_SEQUENCES_SQL,
    TENANT_TABLE,
    configured_roles,
    staff_table_statements,
)

logger = logging.getLogger(__name__)


def apply_staff_grants(cursor: Any) -> int:
    """Run the statements on ``cursor`` (owner or superuser); returns how many ran (0: no schema yet)."""
    cursor.execute(EXISTING_TABLES_SQL, [[*staff_tables(), MIGRATIONS_TABLE, TENANT_TABLE]])
    existing = {row[0] for row in cursor.fetchall()}
    if not {MIGRATIONS_TABLE, TENANT_TABLE} <= existing:
        return 0  # not migrated yet: the post_migrate receiver will apply them
    tables = sorted(existing - {MIGRATIONS_TABLE, TENANT_TABLE})
    cursor.execute(OWNED_SEQUENCES_SQL, [tables])
    sequences = [row[0] for row in cursor.fetchall()]
    statements = staff_table_statements(configured_roles(), tables, sequences)
    for statement in statements:
        cursor.execute(statement)
    return len(statements)


def apply_after_migrate(using: str, **kwargs: Any) -> None:
    """``post_migrate`` receiver: only on the migration alias, the owner (``flush`` sends it too)."""
    if using != migration_database():
        logger.debug("staff grants skipped on alias %s: not the migration alias", using)
        return
    with connections[using].cursor() as cursor:
        count = apply_staff_grants(cursor)
    logger.info("staff grants: %d statements on alias %s", count, using)
