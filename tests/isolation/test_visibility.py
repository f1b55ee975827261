"""Property 1: under tenant T every read returns exactly T's rows (see reads.py)."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from tenancy import tenant_context
from tests.isolation.conftest import build_committed_world
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation
from tests.isolation.model import WorldModel
from tests.isolation.profiles import scaled
from tests.isolation.reads import check_random_read
from tests.isolation.scratch import rls_disabled, scratch_database
from tests.isolation.worlds import WorldSpec, build_world, world_specs

pytestmark = pytest.mark.isolation


def reads_under_random_tenants(data: st.DataObject, world: WorldModel, reads: int) -> None:
    for _ in range(reads):
        tenant = data.draw(st.sampled_from(world.tenants), label="tenant")
        with tenant_context(tenant):
            check_random_read(data, world, tenant)


@settings(max_examples=scaled(100))
@given(spec=world_specs(), data=st.data())
def test_every_read_in_a_random_world_returns_exactly_the_tenants_rows(spec: WorldSpec, data) -> None:
    """A fresh world per example (hostile payloads included), rolled back afterwards."""
    with transaction.atomic():
        try:
            world = build_world(spec)
            reads_under_random_tenants(data, world, reads=10)
        finally:
            transaction.set_rollback(True)


@settings(max_examples=scaled(500))
@given(data=st.data())
def test_every_read_in_the_committed_world_returns_exactly_the_tenants_rows(committed_world, data) -> None:
    reads_under_random_tenants(data, committed_world, reads=3)


def test_control_visibility_fails_when_a_table_has_no_policy() -> None:
    with scratch_database("visibility", rls_disabled("models_app_order")):
        world = build_committed_world(seed=1, hostile=False)

        @CONTROL_SETTINGS
        @given(data=st.data())
        def visibility(data) -> None:
            reads_under_random_tenants(data, world, reads=3)

        violation = expect_violation(visibility)
    assert "models_app_order" in str(violation) or "join" in str(violation)
