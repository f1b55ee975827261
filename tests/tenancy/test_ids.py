from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tenancy.ids import uuid7


@given(st.integers(min_value=0, max_value=2**48 - 1), st.binary(min_size=10, max_size=10))
def test_uuid7_layout(ts: int, rand: bytes) -> None:
    value = uuid7(ts, rand)
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert value.int >> 80 == ts
    assert uuid7(ts, rand) == value


@given(st.lists(st.integers(min_value=0, max_value=2**48 - 1), min_size=2, max_size=50, unique=True))
def test_uuid7_sorts_by_time(stamps: list[int]) -> None:
    ids = [uuid7(ts) for ts in stamps]
    assert [i.int >> 80 for i in sorted(ids)] == sorted(stamps)
