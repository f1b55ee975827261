"""Column encoders for PostgreSQL's COPY text format, vectorised with numpy.

Generators keep columns as numpy arrays; these helpers turn a slice of them into lists of
strings, and :func:`rows_text` joins the lists into one COPY payload. Ids and session keys
are kept as ASCII byte strings (``S36``/``S32``), a quarter of the memory of numpy unicode
(``U36`` is 144 bytes a row): a large tenant holds millions of them. :func:`text` decodes
the slice a batch needs. Nothing here calls
Python code per *field* except plain ``str`` joins, which is what keeps encoding at
hundreds of thousands of rows per second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NULL = "\\N"
_DASHES = (8, 12, 16, 20)


def uuid7_bytes(ts_ms: np.ndarray, rand: np.ndarray) -> np.ndarray:
    """(n, 16) uint8 UUIDv7s: 48-bit ``ts_ms``, version 7, variant 0b10, 74 bits of ``rand``.

    Bit for bit what :func:`tenancy.ids.uuid7` builds from the same timestamp and 10 random
    bytes (a test holds the two together).
    """
    n = ts_ms.shape[0]
    out = np.empty((n, 16), dtype=np.uint8)
    ts = ts_ms.astype(">u8").view(np.uint8).reshape(n, 8)
    out[:, :6] = ts[:, 2:]
    out[:, 6:] = rand
    out[:, 6] = (rand[:, 0] & 0x0F) | 0x70
    out[:, 8] = (rand[:, 2] & 0x3F) | 0x80
    return out


def uuid_strings(raw: np.ndarray) -> np.ndarray:
    """Canonical (dashed) text of (n, 16) uint8 UUIDs, as an ``S36`` (ASCII bytes) array."""
    n = raw.shape[0]
    if n == 0:
        return np.empty(0, dtype="S36")
    hexed = np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype="S1").reshape(n, 32)
    dashed = np.empty((n, 36), dtype="S1")
    dashed[:, :] = b"-"
    src = 0
    dst = 0
    for cut in (*_DASHES, 32):
        width = cut - src
        dashed[:, dst:dst + width] = hexed[:, src:cut]
        dst += width + 1
        src = cut
    return dashed.view("S36").reshape(n).copy()


def hex_strings(raw: np.ndarray) -> np.ndarray:
    """Lower-case hex text of each row of a (n, k) uint8 array, as ASCII bytes (``S{2k}``)."""
    n, k = raw.shape
    if n == 0:
        return np.empty(0, dtype=f"S{2 * k}")
    return np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype=f"S{2 * k}").copy()


def text(values: np.ndarray) -> list[str]:
    """``str`` of each element of an ASCII bytes (or unicode) array: the step before COPY text."""
    return values.astype(str).tolist()


def text_or_null(present: np.ndarray, values: np.ndarray) -> list[str]:
    """``text(values)`` where ``present``, the COPY NULL marker elsewhere."""
    return np.where(present, values.astype(str), NULL).tolist()


def new_ids(rng: np.random.Generator, ts_ms: np.ndarray) -> np.ndarray:
    """Deterministic UUIDv7 ids (``S36``) for rows with business timestamps ``ts_ms``."""
    rand = rng.integers(0, 256, size=(ts_ms.shape[0], 10), dtype=np.uint8)
    return uuid_strings(uuid7_bytes(ts_ms, rand))


def timestamps(ms: np.ndarray) -> list[str]:
    """ISO 8601 UTC text (``2025-01-31T12:00:00.123Z``) of epoch milliseconds."""
    return np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms", timezone="UTC").tolist()


def nullable_timestamps(ms: np.ndarray, present: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms", timezone="UTC").astype(object)
    text[~present] = NULL
    return text.tolist()


def dates(ms: np.ndarray) -> list[str]:
    return np.datetime_as_string(ms.astype("datetime64[ms]").astype("datetime64[D]")).tolist()


def nullable_dates(ms: np.ndarray, present: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ms.astype("datetime64[ms]").astype("datetime64[D]")).astype(object)
    text[~present] = NULL
    return text.tolist()


def money(cents: np.ndarray) -> list[str]:
    """Exact decimal text of integer cents."""
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def ints(values: np.ndarray) -> list[str]:
    return values.astype(str).tolist()


def bools(values: np.ndarray) -> list[str]:
    return np.where(values, "t", "f").tolist()


def pick(pool: Sequence[str], index: np.ndarray) -> list[str]:
    """``pool[i]`` for every index (pool strings must already be COPY-escaped)."""
    return np.asarray(pool, dtype=object)[index].tolist()


def constant(value: str, n: int) -> list[str]:
    return [value] * n


def rows_text(columns: Sequence[Sequence[str]]) -> bytes:
    """One COPY text payload from per-column string lists of equal length."""
    if not columns or len(columns[0]) == 0:
        return b""
    return ("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n").encode("utf-8")
