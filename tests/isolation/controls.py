"""Running a property where a protection was removed, and insisting that it fails.

A negative control calls the very same property body as the real test, on a scratch
database (or with a patched helper) that lacks one protection, and asserts that Hypothesis
finds an :class:`IsolationViolation`. Shrinking is skipped (the control only needs *a*
counterexample) and nothing is written to the example database.
"""

from __future__ import annotations

from collections.abc import Callable

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
