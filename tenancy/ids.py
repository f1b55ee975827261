"""Time-ordered UUIDs (RFC 9562 version 7).

Primary keys whose first 48 bits are a millisecond timestamp land at the right-hand edge
of a B-tree: bulk loads touch few index pages instead of random ones, which makes them
markedly faster than random v4 ids (docs/DATA_GENERATION.md has the figures), and the ids of
historical rows sort in business time. Python 3.11 has no ``uuid.uuid7``, hence this module.
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7(timestamp_ms: int | None = None, random_bytes: bytes | None = None) -> uuid.UUID:
    """A version-7 UUID for ``timestamp_ms`` (default: now) with 74 random bits.

    ``random_bytes`` (10 bytes) makes the id deterministic, for reproducible seeding.
    """
    if timestamp_ms is None:
        timestamp_ms = time.time_ns() // 1_000_000
    rand = random_bytes if random_bytes is not None else os.urandom(10)
    if len(rand) != 10:
        raise ValueError("random_bytes must be exactly 10 bytes")
    value = (timestamp_ms & 0xFFFF_FFFF_FFFF) << 80
    value |= int.from_bytes(rand, "big") & ((1 << 80) - 1)
    # version 7 in bits 76-79, variant 0b10 in bits 62-63
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)
