"""Property 5: the same guarantees through PgBouncer in transaction-pooling mode.

Django itself is pointed at PgBouncer for the read and context properties; raw clients
interleave through it for the rest. The control shows why the project never uses a
session-level ``SET``: through a transaction pooler it reaches the next client.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.db import connections
from hypothesis import given, settings
from hypothesis import strategies as st

from project.database import current_database_name, role_credentials
from rls.sql import SET_TENANT_SQL
from tests.isolation.concurrency import SESSION_SET_SQL, SharedPool, jobs_strategy, run_interleaved
from tests.isolation.context_machine import ContextMachine
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation
from tests.isolation.profiles import scaled
from tests.isolation.test_context import run_machine
from tests.isolation.test_visibility import reads_under_random_tenants

pytestmark = pytest.mark.isolation


def bouncer_client(bouncer) -> psycopg2.extensions.connection:
    app = role_credentials()["app"]
    return psycopg2.connect(host="127.0.0.1", port=bouncer.port, user=app.name, password=app.password,
                            dbname=current_database_name(),
                            application_name="isolation-pgbouncer")


@contextmanager
def django_through(bouncer) -> Iterator[None]:
    """Point the ``default`` alias (every thread's connection) at PgBouncer for a while."""
    entry = django_settings.DATABASES["default"]
    saved = (entry["HOST"], entry["PORT"])
    connections["default"].close()
    entry["HOST"], entry["PORT"] = "127.0.0.1", bouncer.port
    try:
        yield
    finally:
        connections["default"].close()
        entry["HOST"], entry["PORT"] = saved


@settings(max_examples=scaled(150))
@given(data=st.data())
def test_reads_through_pgbouncer_return_exactly_the_tenants_rows(committed_world, pgbouncer, data) -> None:
    with django_through(pgbouncer):
        reads_under_random_tenants(data, committed_world, reads=3)
        assert connections["default"].settings_dict["PORT"] == pgbouncer.port


@settings(max_examples=scaled(60))
@given(data=st.data())
def test_interleaved_clients_through_pgbouncer(committed_world, pgbouncer, data) -> None:
    jobs = data.draw(jobs_strategy(committed_world.tenants, ("pool",)), label="jobs")
    pool = SharedPool(lambda: bouncer_client(pgbouncer), size=3,
                      rnd=random.Random(data.draw(st.integers(0, 2**32), label="pool seed")))
    try:
        run_interleaved(committed_world, jobs, pool, mode="transaction")
    finally:
        pool.close()


def test_clients_share_server_connections(pgbouncer) -> None:
    """Precondition of the controls: several clients really run on the same backend."""
    clients = [bouncer_client(pgbouncer) for _ in range(4)]
    try:
        pids = set()
        for client in clients:
            with client.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.add(cursor.fetchone()[0])
            client.commit()
        assert len(pids) < len(clients)
    finally:
        for client in clients:
            client.close()


def _seen_by_second_client(pgbouncer, tenant, statement: str) -> tuple[str, int]:
    first, second = bouncer_client(pgbouncer), bouncer_client(pgbouncer)
    try:
        with first.cursor() as cursor:
            cursor.execute(statement, [str(tenant)])
        first.commit()
        with second.cursor() as cursor:
            cursor.execute("SELECT current_setting('app.tenant_id', true), count(*) FROM models_app_customer")
            setting, count = cursor.fetchone()
        second.commit()
        # Clean the server connection for whoever comes next (this test *made* it dirty).
        with second.cursor() as cursor:
            cursor.execute("RESET app.tenant_id")
        second.commit()
        return setting or "", count
    finally:
        first.close()
        second.close()


def test_control_session_level_set_leaks_to_the_next_client(committed_world, pgbouncer) -> None:
    tenant = committed_world.tenants[0]
    own = len(committed_world.ids("models_app_customer", tenant))
    assert own > 0
    assert _seen_by_second_client(pgbouncer, tenant, SESSION_SET_SQL) == (str(tenant), own)


def test_transaction_local_setting_does_not_leak_to_the_next_client(committed_world, pgbouncer) -> None:
    tenant = committed_world.tenants[0]
    assert _seen_by_second_client(pgbouncer, tenant, SET_TENANT_SQL) == ("", 0)


def test_control_pooling_property_fails_with_session_level_settings(committed_world, pgbouncer) -> None:
    @CONTROL_SETTINGS
    @given(data=st.data())
    def interleaved(data) -> None:
        jobs = data.draw(jobs_strategy(committed_world.tenants, ("pool",)), label="jobs")
        pool = SharedPool(lambda: bouncer_client(pgbouncer), size=3, rnd=random.Random(0))
        try:
            run_interleaved(committed_world, jobs, pool, mode="session")
        finally:
            pool.close()
            reset = bouncer_client(pgbouncer)
            with reset.cursor() as cursor:
                cursor.execute("RESET app.tenant_id")
            reset.commit()
            reset.close()

    expect_violation(interleaved)


def test_context_state_machine_through_pgbouncer(committed_world, pgbouncer, replication) -> None:
    """Last in the module: the machine commits customers, which the world model does not know."""
    with django_through(pgbouncer):
        run_machine(committed_world.tenants[:3], replication,
                    settings(max_examples=scaled(25), stateful_step_count=20), with_tasks=False)
    assert ContextMachine.tenants
