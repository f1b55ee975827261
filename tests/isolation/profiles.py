"""Hypothesis profiles for the isolation proof.

``ci`` (the default) keeps ``pytest -m isolation`` within a few minutes on two cores;
``thorough`` (``HYPOTHESIS_PROFILE=thorough``) runs ten times as many examples. Tests
state their example budget with :func:`scaled`, so both profiles keep the ratios.
Failures print the reproducing blob; the example database is ``.hypothesis/``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

BASE = dict(
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
MULTIPLIER = {"ci": 1, "thorough": 10, "dev": 1}

settings.register_profile("ci", max_examples=100, **BASE)
settings.register_profile("thorough", max_examples=1000, **BASE)
# While writing tests: the ci budget without the (slow, database-bound) shrinking phase.
settings.register_profile("dev", max_examples=100, phases=[Phase.explicit, Phase.reuse, Phase.generate], **BASE)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in MULTIPLIER:
    raise RuntimeError(f"HYPOTHESIS_PROFILE={PROFILE!r} is unknown; use one of {', '.join(MULTIPLIER)}")
settings.load_profile(PROFILE)


def scaled(examples: int) -> int:
    """``examples`` in the ci profile, ten times that in the thorough one."""
    return examples * MULTIPLIER[PROFILE]
