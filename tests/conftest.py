"""Test database wiring.

The suite proves isolation only if it runs as the role production uses. So:

* the admin connection creates the test database and the roles (nothing else);
* the owner role runs the migrations (nothing else);
* every test talks to PostgreSQL as the unprivileged app role (``default``), and
  ``tests/rls/test_runtime_role.py`` asserts that.

Each pytest process gets its own database (``test_<name>_<pid>``) on the same server, so
parallel runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from project.bootstrap import drop_database, ensure_database, ensure_roles
from project.database import connect, database_name
from tests.support import point_all_aliases_at, purge_tenants


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: None, django_db_blocker) -> Iterator[str]:
    name = f"test_{database_name()}_{os.getpid()}"
    with django_db_blocker.unblock():
        ensure_roles()
        ensure_database(name, fresh=True)
        point_all_aliases_at(name)
        call_command("migrate", database="owner", verbosity=0, interactive=False)
        connections["owner"].close()
    yield name
    with django_db_blocker.unblock():
        for alias in settings.DATABASES:
            connections[alias].close()
        drop_database(name)


@pytest.fixture
def committed(django_db_setup: str, django_db_blocker) -> Iterator[CommittedWorld]:
    """Database access without the test transaction: what a test writes is committed.

    Tenants made through the returned helper are purged (as the app role) afterwards.
    """
    world = CommittedWorld()
    with django_db_blocker.unblock():
        try:
            yield world
        finally:
            connections["default"].close()
            purge_tenants(world.tenant_ids)
            connections["default"].close()


class CommittedWorld:
    def __init__(self) -> None:
        self.tenant_ids: list[uuid.UUID] = []

    def tenant(self, slug: str | None = None, **fields: object):
        from tenancy import create_tenant

        slug = slug or f"t-{uuid.uuid4().hex[:10]}"
        tenant = create_tenant(name=fields.pop("name", slug.title()), slug=slug, **fields)  # type: ignore[arg-type]
        self.tenant_ids.append(tenant.id)
        return tenant


@pytest.fixture
def replication_conn(django_db_setup: str):
    """A psycopg2 connection as the DMS replication role (BYPASSRLS, read-only)."""
    conn = connect("replication", dbname=django_db_setup)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def tenant_factory(db):
    """Make tenants inside the test transaction (rolled back afterwards)."""
    from tenancy import create_tenant

    def make(slug: str | None = None, **fields: object):
        slug = slug or f"t-{uuid.uuid4().hex[:10]}"
        return create_tenant(name=fields.pop("name", slug.title()), slug=slug, **fields)  # type: ignore[arg-type]

    return make
