"""Fixtures of the metric tests: one committed factory world shared by the whole folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connections

from tests.analytics.world import build_world
from tests.support import purge_tenants


@dataclass(frozen=True)
class World:
    tenants: dict[str, uuid.UUID]  # slug -> id


@pytest.fixture(scope="session")
def metrics_world(django_db_setup: str, django_db_blocker) -> Iterator[World]:
    """Two tenants with a few hundred committed rows each; purged at the end of the session."""
    from tenancy import create_tenant

    suffix = uuid.uuid4().hex[:8]
    tenants: dict[str, uuid.UUID] = {}
    with django_db_blocker.unblock():
        try:
            for seed, name in enumerate(("north", "south"), start=1):
                slug = f"m-{name}-{suffix}"
                tenants[slug] = create_tenant(name=f"Metrics {name}", slug=slug).id
                build_world(tenants[slug], seed=seed, orders=120 + 60 * seed)
            yield World(tenants)
        finally:
            connections["default"].close()
            purge_tenants(tenants.values())
            connections["default"].close()


@pytest.fixture
def world_db(metrics_world: World, django_db_blocker) -> Iterator[World]:
    """Database access without a test transaction, on top of the committed world."""
    with django_db_blocker.unblock():
        yield metrics_world
        connections["default"].close()
