"""Properties 4 and 5: interleaved work of different tenants over shared connections.

Jobs run at the same time in threads (Django connections, one per thread), asyncio tasks
(``sync_to_async(thread_sensitive=False)``) and over a :class:`SharedPool` of raw
connections that hands a random idle connection to whoever asks, the way PgBouncer does.

``mode="transaction"`` is the project's way: ``set_config(..., true)`` and the query in one
transaction on one leased connection. ``mode="session"`` is the broken way the negative
controls use: a session-level setting in one lease, the query in the next.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection
from hypothesis import strategies as st

from rls.sql import READ_TENANT_SQL, qn
from tenancy import tenant_context
from tenancy.context import begin_signed
from tests.isolation.model import IsolationViolation, WorldModel, tables, tenant_column

SESSION_SET_SQL = "SELECT set_config('app.tenant_id', %s, false)"


class SharedPool:
    """Connections shared by all workers; a lease gets a random idle one."""

    def __init__(self, connect: Callable[[], Any], size: int, rnd: random.Random) -> None:
        self.idle = [connect() for _ in range(size)]
        self.all = list(self.idle)
        self.rnd = rnd
        self.cond = threading.Condition()

    @contextmanager
    def lease(self) -> Iterator[Any]:
        with self.cond:
            while not self.idle:
                self.cond.wait()
            conn = self.idle.pop(self.rnd.randrange(len(self.idle)))
        try:
            yield conn
        finally:
            with self.cond:
                self.idle.append(conn)
                self.cond.notify()

    def close(self) -> None:
        for conn in self.all:
            conn.close()


def select_rows(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(f"SELECT {qn(tenant_column(table))}::text, id::text FROM {qn(table)}")
    return cursor.fetchall()


def pooled_read(pool: SharedPool, tenant: uuid.UUID | None, table: str, mode: str) -> list[tuple[str, str]]:
    """One unit of work over the shared pool (``tenant=None``: a query outside any context)."""
    if mode == "transaction" or tenant is None:
        with pool.lease() as conn:
            with conn.cursor() as cursor:
                if tenant is not None:
                    begin_signed(cursor, tenant)
                rows = select_rows(cursor, table)
            conn.commit()
        return rows
    with pool.lease() as conn:
        with conn.cursor() as cursor:
            cursor.execute(SESSION_SET_SQL, [str(tenant)])
        conn.commit()
    with pool.lease() as conn:
        with conn.cursor() as cursor:
            rows = select_rows(cursor, table)
        conn.commit()
    return rows


def django_read(tenant: uuid.UUID, table: str) -> list[tuple[str, str]]:
    """A worker thread's unit of work through Django's per-thread connection."""
    try:
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute(READ_TENANT_SQL)
            if cursor.fetchone()[0] != str(tenant):
                raise IsolationViolation(f"a worker under {tenant} runs with another app.tenant_id")
            return select_rows(cursor, table)
    finally:
        connection.close()


@dataclass(frozen=True)
class Job:
    tenant: uuid.UUID | None
    table: str
    executor: str  # "thread" | "asyncio" | "pool"


def jobs_strategy(tenants: list[uuid.UUID], executors: tuple[str, ...]) -> st.SearchStrategy[list[Job]]:
    job = st.builds(Job, tenant=st.sampled_from([*tenants, None]) if "pool" in executors else st.sampled_from(tenants),
                    table=st.sampled_from(tables()), executor=st.sampled_from(executors))
    return st.lists(job, min_size=2, max_size=10).map(
        lambda jobs: [j if j.tenant is not None or j.executor == "pool" else Job(tenants[0], j.table, j.executor)
                      for j in jobs])


def verify(world: WorldModel, job: Job, rows: list[tuple[str, str]]) -> None:
    owners = {uuid.UUID(r[0]) for r in rows}
    if job.tenant is None:
        if rows:
            raise IsolationViolation(f"a query outside any context ({job.executor}) returned {len(rows)} rows of "
                                     f"{job.table} belonging to {owners}")
        return
    if owners - {job.tenant}:
        raise IsolationViolation(f"{job.executor} job under {job.tenant} got rows of {owners - {job.tenant}} "
                                 f"from {job.table}")
    if {uuid.UUID(r[1]) for r in rows} != world.ids(job.table, job.tenant):
        raise IsolationViolation(f"{job.executor} job under {job.tenant} got {len(rows)} rows of {job.table}, "
                                 f"model says {len(world.ids(job.table, job.tenant))}")


def run_interleaved(world: WorldModel, jobs: list[Job], pool: SharedPool, mode: str) -> None:
    """Run every job concurrently (4 worker threads + one asyncio loop), then check each result."""
    async_jobs = [j for j in jobs if j.executor == "asyncio"]

    async def gather() -> list[list[tuple[str, str]]]:
        return await asyncio.gather(*(sync_to_async(django_read, thread_sensitive=False)(j.tenant, j.table)
                                      for j in async_jobs))

    results: list[tuple[Job, Any]] = []
    with ThreadPoolExecutor(max_workers=4) as executor:
        futures = []
        for job in jobs:
            if job.executor == "thread":
                futures.append((job, executor.submit(django_read, job.tenant, job.table)))
            elif job.executor == "pool":
                futures.append((job, executor.submit(pooled_read, pool, job.tenant, job.table, mode)))
        async_results = asyncio.run(gather()) if async_jobs else []
        results = [(job, future.result()) for job, future in futures]
    results += list(zip(async_jobs, async_results, strict=True))
    for job, rows in results:
        verify(world, job, rows)
