"""Fixtures of the isolation proof: database access, committed worlds, PgBouncer.

Every test here talks to PostgreSQL as the app role, without pytest-django's wrapping
transaction: worlds are committed (module-scoped, purged as the app role afterwards) or
built inside a transaction the example rolls back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connections

from project.database import connect
from tests.isolation import profiles  # noqa: F401  (registers and loads the Hypothesis profile)
from tests.isolation.model import WorldModel
from tests.isolation.worlds import build_world, seeded_spec
from tests.support import purge_tenants

WORLD_SEED = int(os.environ.get("ISOLATION_WORLD_SEED", "20240601"))


@pytest.fixture(autouse=True)
def _database_access(django_db_setup: str, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield
        for alias in connections:
            connections[alias].close()


def build_committed_world(seed: int, *, hostile: bool = True, distinct_keys: bool = False) -> WorldModel:
    """The seeded world.

    Controls pass ``hostile=False`` (their broken schema would accept the payloads) and,
    where a business key is made global, ``distinct_keys=True`` so the world itself fits.
    """
    print(f"\nisolation world seed: {seed} (set ISOLATION_WORLD_SEED to rebuild it)")
    spec = seeded_spec(seed)
    if not hostile:
        spec.hostile = []
    if distinct_keys:
        for index, tenant in enumerate(spec.tenants):
            for row in tenant.rows["customer"]:
                row["email"] = f"t{index}-{row['email']}"
    return build_world(spec)


@pytest.fixture(scope="module")
def committed_world(django_db_setup: str, django_db_blocker) -> Iterator[WorldModel]:
    """A larger world (5 tenants), committed once per module and purged afterwards."""
    with django_db_blocker.unblock():
        world = build_committed_world(WORLD_SEED)
        connections["default"].close()
        try:
            yield world
        finally:
            connections["default"].close()
            purge_tenants(world.tenants)
            connections["default"].close()


@pytest.fixture
def replication(django_db_setup: str) -> Iterator[object]:
    """An autocommit psycopg2 connection as the replication role to the current database."""
    conn = connect("replication")
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup: str) -> Iterator[object]:
    """PgBouncer (transaction pooling, 2 server connections) in front of the test server."""
    from tests.isolation.pgbouncer import pgbouncer_binary, start_pgbouncer

    if pgbouncer_binary() is None:
        pytest.skip("PgBouncer is not installed: `apt-get install pgbouncer` (CI's .ci/run installs it); "
                    "the pooling property was NOT proven in this run")
    bouncer = start_pgbouncer(pool_size=2)
    yield bouncer
    bouncer.stop()
