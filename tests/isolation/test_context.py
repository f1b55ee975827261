"""Property 3: the connection's tenant setting always equals the innermost context."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

import tenancy.context
from rls.sql import ENTER_TENANT_SQL
from tests.isolation.context_machine import ContextMachine
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation
from tests.isolation.profiles import scaled

pytestmark = pytest.mark.isolation

#: The naive implementation many projects ship: a session-level SET that nobody clears
#: (``set_config(..., false)``: the value outlives the transaction and the context).
LEAKY_ENTER_TENANT_SQL = ENTER_TENANT_SQL.replace(", true)", ", false)")


def run_machine(world_tenants, replication, machine_settings: settings, *, with_tasks: bool = True) -> None:
    ContextMachine.tenants = list(world_tenants)
    ContextMachine.replication = replication
    ContextMachine.with_tasks = with_tasks
    run_state_machine_as_test(ContextMachine, settings=machine_settings)


def test_context_state_machine(committed_world, replication) -> None:
    run_machine(committed_world.tenants[:3], replication,
                settings(max_examples=scaled(80), stateful_step_count=20))


def test_control_context_fails_with_a_session_level_setting(committed_world, replication, monkeypatch) -> None:
    assert LEAKY_ENTER_TENANT_SQL != ENTER_TENANT_SQL
    monkeypatch.setattr(tenancy.context, "ENTER_TENANT_SQL", LEAKY_ENTER_TENANT_SQL)
    violation = expect_violation(lambda: run_machine(
        committed_world.tenants[:3], replication, settings(CONTROL_SETTINGS, stateful_step_count=25)))
    assert "app.tenant_id is" in str(violation) or "outside any context" in str(violation)
