"""Property 4: threads and asyncio tasks of different tenants never see each other's rows."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from project.database import connect
from tests.isolation.concurrency import SharedPool, jobs_strategy, pooled_read, run_interleaved
from tests.isolation.conftest import WORLD_SEED
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation, unsigned_world
from tests.isolation.model import IsolationViolation
from tests.isolation.profiles import scaled

pytestmark = pytest.mark.isolation

EXECUTORS = ("thread", "asyncio", "pool")


def run_on_direct_pool(world, jobs, rnd, mode: str) -> None:
    pool = SharedPool(lambda: connect("app"), size=2, rnd=rnd)
    try:
        run_interleaved(world, jobs, pool, mode=mode)
    finally:
        pool.close()


@settings(max_examples=scaled(60))
@given(data=st.data())
def test_interleaved_tenants_never_see_foreign_rows(committed_world, data) -> None:
    jobs = data.draw(jobs_strategy(committed_world.tenants, EXECUTORS), label="jobs")
    rnd = random.Random(data.draw(st.integers(0, 2**32), label="pool seed"))
    run_on_direct_pool(committed_world, jobs, rnd, mode="transaction")


def test_control_concurrency_fails_with_session_level_settings_and_no_proof(committed_world) -> None:
    """Session-level settings leak between pool leases once the policies trust the bare setting."""
    with unsigned_world("unsigned_conc", WORLD_SEED) as world:
        @CONTROL_SETTINGS
        @given(data=st.data())
        def interleaved(data) -> None:
            jobs = data.draw(jobs_strategy(world.tenants, ("pool",)), label="jobs")
            rnd = random.Random(data.draw(st.integers(0, 2**32), label="pool seed"))
            run_on_direct_pool(world, jobs, rnd, mode="session")

        expect_violation(interleaved)


def test_session_level_settings_without_a_proof_show_nothing(committed_world) -> None:
    """The signed form survives the naive session-level SET: a later lease sees no rows."""
    @settings(max_examples=scaled(20))
    @given(data=st.data())
    def interleaved(data) -> None:
        jobs = data.draw(jobs_strategy(committed_world.tenants, ("pool",)), label="jobs")
        pool = SharedPool(lambda: connect("app"), size=2,
                          rnd=random.Random(data.draw(st.integers(0, 2**32), label="pool seed")))
        try:
            for job in jobs:
                rows = pooled_read(pool, job.tenant, job.table, "session")
                if rows:
                    raise IsolationViolation(f"a session-level setting without a proof showed {len(rows)} rows "
                                             f"of {job.table}")
        finally:
            pool.close()

    interleaved()
