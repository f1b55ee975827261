"""Vectorised, deterministic generators: one module per table group.

Each generator builds numpy columns for one tenant from its own random stream
(:func:`seeding.world.rng_for`) and encodes slices of them as COPY text batches.
:class:`seeding.generators.tenant.TenantData` wires them together in dependency order.
"""

from seeding.generators.base import Batch

__all__ = ["Batch"]
