"""Generation of a realistic multi-tenant e-commerce world, written through row-level security.

Public API (import from ``seeding``)::

    WorldSpec(seed, scale, tenants, window), default_window(days)     # what the data is
    SeedRequest(spec, units, ...), seed(request, progress, stop)       # write it, one transaction per tenant
    SeedResult, SeedError, UNIT_ORDER
    existing_tenants(), count_rows(targets, units), cleanup(targets, units, ...)
    StopSignal, stop_on_sigint(stop)                                   # Ctrl-C without losing track
    slots_at_risk(rows)                                                # WAL a replication slot cannot keep

The data distributions live in :mod:`seeding.distributions` (the one place for them; the
CDC workload imports that module alone). What the data must look like is written down in
``docs/REQUIREMENTS.md``.

The names are resolved on first use (PEP 562 ``__getattr__``): ``seeding`` is a Django app,
so this package is imported while the app registry is still loading, before the tenant
model that the engine needs can be imported.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "UNIT_ORDER", "SeedError", "SeedRequest", "SeedResult", "StopSignal", "WorldSpec", "cleanup", "count_rows",
    "default_window", "existing_tenants", "seed", "slots_at_risk", "stop_on_sigint",
]

_HOME = {
    "UNIT_ORDER": "seeding.engine", "SeedError": "seeding.engine", "SeedRequest": "seeding.engine",
    "SeedResult": "seeding.engine", "cleanup": "seeding.engine", "count_rows": "seeding.engine",
    "existing_tenants": "seeding.engine", "seed": "seeding.engine",
    "StopSignal": "seeding.interrupt", "stop_on_sigint": "seeding.interrupt",
    "WorldSpec": "seeding.world", "default_window": "seeding.world",
    "slots_at_risk": "seeding.wal",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'seeding' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
