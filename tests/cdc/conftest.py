"""Fixtures for the CDC tests: uniquely named slots that are always dropped (they retain WAL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from cdc.slots import create_slot, drop_slot


@pytest.fixture
def slot(django_db_setup: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    assert create_slot(name, django_db_setup)
    try:
        yield name
    finally:
        drop_slot(name, django_db_setup)


def peek(conn, slot: str) -> list[str]:
    """Consume the slot's pending changes through SQL (as the replication role)."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM pg_logical_slot_get_changes(%s, NULL, NULL, 'include-timestamp', 'on', "
            "'skip-empty-xacts', 'on')", [slot])
        return [row[0] for row in cursor.fetchall()]
