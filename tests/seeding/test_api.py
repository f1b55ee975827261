"""The package's public API: every name in ``seeding.__all__`` resolves, and the distributions stay light."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings

import seeding


def test_every_public_name_resolves():
    for name in seeding.__all__:
        assert getattr(seeding, name) is not None, name
    assert set(seeding.__all__) <= set(dir(seeding))


def test_unknown_names_are_attribute_errors():
    assert not hasattr(seeding, "no_such_name")


def test_importing_the_distributions_loads_neither_the_engine_nor_django():
    """``cdc`` imports ``seeding.distributions`` alone; the package must not drag the engine in with it."""
    code = ("import sys, seeding.distributions; "
            "print(sorted(m for m in sys.modules if m.startswith(('seeding.engine', 'django.db', 'tenancy'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]", done.stdout
