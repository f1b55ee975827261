"""Property 2: writes under T with hostile payloads never change another tenant's rows."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.isolation.controls import writes_control
from tests.isolation.profiles import scaled
from tests.isolation.scratch import plain_foreign_key, with_check_true
from tests.isolation.writes import run_random_writes

pytestmark = pytest.mark.isolation

OUTCOMES: Counter[str] = Counter()


@settings(max_examples=scaled(250))
@given(data=st.data())
def test_random_writes_never_touch_another_tenant(committed_world, replication, data) -> None:
    OUTCOMES.update(run_random_writes(data, replication, committed_world.tenants, steps=4))


def test_writes_exercised_both_outcomes() -> None:
    """The property above is only meaningful if writes both succeeded and were refused."""
    if not OUTCOMES:
        pytest.skip("run together with test_random_writes_never_touch_another_tenant")
    print("\nwrite outcomes:", dict(sorted(OUTCOMES.items())))
    assert any(k.endswith(": ok") for k in OUTCOMES) and any(not k.endswith(": ok") for k in OUTCOMES)


#: The writes a missing WITH CHECK or a plain foreign key lets through.
INSERTING = ["create", "bulk_create", "raw INSERT", "INSERT ON CONFLICT"]


def _control(label: str, ddl: list[str], operations: list[str]) -> str:
    def attempt(data, conn, world) -> None:
        run_random_writes(data, conn, world.tenants, steps=4, operations=operations)

    return str(writes_control(label, ddl, 2, attempt))


def test_control_writes_fail_when_a_policy_checks_nothing() -> None:
    assert "changed other tenants' rows" in _control("writes_check", with_check_true("models_app_customer"),
                                                     INSERTING)


def test_control_writes_fail_with_a_plain_foreign_key() -> None:
    message = _control("writes_fk", plain_foreign_key("models_app_order", "customer"), INSERTING)
    assert "cross-tenant references" in message
