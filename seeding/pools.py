"""Pooled Faker output: Faker is called a few thousand times per world, never per row.

Big tables pick from these pools by index with numpy, which is what makes generation fast
(Faker per row costs tens of microseconds; an index into a pool costs nanoseconds). The
pools are seeded from the world seed, so they are as deterministic as everything else.
Strings are stored already escaped for PostgreSQL's COPY text format (and, where they go
into JSON, as JSON string literals).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from faker import Faker

POOL_SIZES = {"first": 700, "last": 900, "street": 1200, "city": 400, "company": 400, "agent": 80,
              "sentence": 300}


def copy_escape(value: str) -> str:
    """Escape a string for COPY text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def json_literal(value: str) -> str:
    """A JSON string literal, escaped for COPY."""
    return copy_escape(json.dumps(value, ensure_ascii=False))


@dataclass(frozen=True)
class Pools:
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str, str], ...]  # (city, state abbreviation, postcode)
    companies: tuple[str, ...]
    user_agents: tuple[str, ...]
    sentences: tuple[str, ...]


def _unique(make, n: int, limit: int = 20) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for _ in range(n * limit):
        value = make()
        if value not in seen:
            seen[value] = None
            if len(seen) == n:
                break
    return tuple(seen)


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    """The pools for a world seed (raw strings; escape where they are written)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return Pools(
        first_names=_unique(fake.first_name, POOL_SIZES["first"]),
        last_names=_unique(fake.last_name, POOL_SIZES["last"]),
        streets=_unique(fake.street_address, POOL_SIZES["street"]),
        cities=tuple((fake.city(), fake.state_abbr(), fake.postcode()) for _ in range(POOL_SIZES["city"])),
        companies=_unique(fake.company, POOL_SIZES["company"]),
        user_agents=_unique(fake.user_agent, POOL_SIZES["agent"]),
        sentences=tuple(fake.sentence(nb_words=12) for _ in range(POOL_SIZES["sentence"])),
    )
