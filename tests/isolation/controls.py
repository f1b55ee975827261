"""Running a property where a protection was removed, and insisting that it fails.

A negative control calls the very same property body as the real test, on a scratch
database (or with a patched helper) that lacks one protection, and asserts that Hypothesis
finds an :class:`IsolationViolation`. Shrinking is skipped (the control only needs *a*
counterexample) and nothing is written to the example database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import Phase, settings

from tests.isolation.model import IsolationViolation

#: Budget of a control: it stops at the first violation, so this is an upper bound.
CONTROL_SETTINGS = settings(max_examples=300, database=None, phases=[Phase.generate], print_blob=False)


def expect_violation(run: Callable[[], None]) -> IsolationViolation:
    """``run`` must raise IsolationViolation (an unrelated error fails the control).

    Races are not replayable: when Hypothesis's confirming re-run of a concurrent
    counterexample happens to pass, it raises ``FlakyFailure`` (an exception group) that
    carries the violation it saw; that counts as a detected leak too.
    """
    try:
        run()
    except IsolationViolation as exc:
        return exc
    except BaseExceptionGroup as group:
        found, _rest = group.split(IsolationViolation)
        if found is None:
            raise
        while isinstance(found, BaseExceptionGroup):
            found = found.exceptions[0]
        return found
    pytest.fail("the property did not detect the removed protection")


@contextmanager
def unsigned_world(label: str, seed: int) -> Iterator[Any]:
    """A committed world on a scratch database whose policies trust the bare setting.

    The negative control of the signed context: without the proof, a session-level setting
    that reaches another client of a shared connection shows it the first client's tenant.
    """
    from tests.isolation.conftest import build_committed_world
    from tests.isolation.scratch import scratch_database, unsigned_policies

    with scratch_database(label, unsigned_policies()):
        yield build_committed_world(seed=seed, hostile=False)


def writes_control(label: str, ddl: list[str], seed: int,
                   attempt: Callable[[Any, Any, Any], None]) -> IsolationViolation:
    """A write property run against a scratch database that ``ddl`` broke.

    Builds a committed world there, hands ``attempt(data, replication_connection, world)`` to
    Hypothesis (the replication connection takes the digests of other tenants' rows), and
    returns the violation the property must find.
    """
    from hypothesis import given
    from hypothesis import strategies as st

    from project.database import connect
    from tests.isolation.conftest import build_committed_world
    from tests.isolation.scratch import scratch_database

    with scratch_database(label, ddl):
        world = build_committed_world(seed=seed, hostile=False)
        conn = connect("replication")
        conn.autocommit = True
        try:
            @CONTROL_SETTINGS
            @given(data=st.data())
            def writes(data: Any) -> None:
                attempt(data, conn, world)

            return expect_violation(writes)
        finally:
            conn.close()
