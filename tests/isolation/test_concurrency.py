"""Property 4: threads and asyncio tasks of different tenants never see each other's rows."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from project.database import connect
from tests.isolation.concurrency import SharedPool, jobs_strategy, run_interleaved
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation
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


def test_control_concurrency_fails_with_session_level_settings(committed_world) -> None:
    @CONTROL_SETTINGS
    @given(data=st.data())
    def interleaved(data) -> None:
        jobs = data.draw(jobs_strategy(committed_world.tenants, ("pool",)), label="jobs")
        rnd = random.Random(data.draw(st.integers(0, 2**32), label="pool seed"))
        run_on_direct_pool(committed_world, jobs, rnd, mode="session")

    expect_violation(interleaved)
