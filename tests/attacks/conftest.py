"""Fixtures of the attack suite: two committed tenants, and raw connections as the real roles.

Every attack runs as the role an attacker would hold (the app role, through SQL injection,
or the DMS replication credential) against the real server. Negative controls break one
defence on a scratch database (tests/isolation/scratch.py) and show the attack succeeding.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connections

from project.database import connect
from rls.roles import configured_roles
from rls.sql import qn
from tests.isolation.scratch import scratch_database
from tests.support import execute_as, purge_tenants


@dataclass
class Victims:
    """Tenant A (the attacker's own) and tenant B (the target), each with customers."""

    a: uuid.UUID
    b: uuid.UUID
    b_slug: str
    b_emails: set[str]


def make_victims(count: int = 3) -> Victims:
    from models_app.models import Customer, Event
    from tenancy import create_tenant, tenant_context

    ids, slugs, emails = [], [], []
    for label in ("a", "b"):
        slug = f"atk-{label}-{uuid.uuid4().hex[:8]}"
        tenant = create_tenant(name=slug, slug=slug)
        with tenant_context(tenant):
            made = [Customer.objects.create(email=f"{label}{i}@{slug}.test", first_name="F", last_name="L")
                    for i in range(count)]
            Event.objects.create(event_type="page_view", session_id=f"s-{slug}", customer=made[0])
        ids.append(tenant.id)
        slugs.append(slug)
        emails.append({c.email for c in made})
    connections["default"].close()
    return Victims(ids[0], ids[1], slugs[1], emails[1])


@pytest.fixture
def victims(django_db_setup: str, django_db_blocker) -> Iterator[Victims]:
    with django_db_blocker.unblock():
        found = make_victims()
        try:
            yield found
        finally:
            for alias in connections:
                connections[alias].close()
            purge_tenants([found.a, found.b])
            connections["loader"].close()


@pytest.fixture
def app_conn(django_db_setup: str) -> Iterator[object]:
    """The attacker's connection: the app role, a transaction open by default."""
    conn = connect("app")
    yield conn
    conn.close()


@pytest.fixture
def db_access(django_db_setup: str, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield
        for alias in connections:
            connections[alias].close()


@contextmanager
def broken(label: str, ddl: list[str], *, as_admin: list[str] | None = None) -> Iterator[tuple[str, Victims]]:
    """A scratch database with one defence removed and its own victims.

    ``ddl`` runs as the owner (tables, policies, grants on tables); ``as_admin`` as the
    admin (database privileges, pg_catalog function ACLs). Nothing outside the scratch
    database changes.
    """
    roles = configured_roles()
    names = {key: qn(roles[key]) for key in ("app", "replication", "loader", "owner")}
    with scratch_database(f"atk_{label}", [statement.format(**names) for statement in ddl]) as name:
        if as_admin:
            execute_as("admin", name, *(statement.format(db=qn(name), **names) for statement in as_admin))
        found = make_victims()
        connections["default"].close()
        yield name, found


def rows(conn, statement: str, params: object = None) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []
