"""The unit a generator hands to the loader, and prefix sampling shared by generators."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from seeding.copytext import rows_text


@dataclass(frozen=True)
class Batch:
    """``rows`` rows of ``table`` as a COPY text payload with these ``columns``."""

    table: str
    columns: tuple[str, ...]
    rows: int
    payload: bytes


def batches(table: str, columns: Sequence[str], n: int, batch_size: int,
            encode: Callable[[int, int], list[list[str]]]) -> Iterator[Batch]:
    """Encode rows ``[0, n)`` in slices of ``batch_size``."""
    for lo in range(0, n, batch_size):
        hi = min(n, lo + batch_size)
        yield Batch(table, tuple(columns), hi - lo, rows_text(encode(lo, hi)))


def prefix_choice(rng: np.random.Generator, available_ms: np.ndarray, weights: np.ndarray,
                  at_ms: np.ndarray) -> np.ndarray:
    """For each time in ``at_ms``, an index ``i`` with ``available_ms[i] <= t``, drawn by ``weights``.

    ``available_ms`` must be sorted ascending and ``available_ms[0]`` must precede every
    ``t``. This is how orders only go to customers who already signed up and items only
    reference products already launched, without a Python loop.
    """
    cumulative = np.cumsum(weights)
    k = np.searchsorted(available_ms, at_ms, side="right")
    k = np.maximum(k, 1)
    u = rng.random(at_ms.shape[0]) * cumulative[k - 1]
    idx = np.searchsorted(cumulative, u, side="right")
    return np.minimum(idx, k - 1)


def weighted_sample_without_replacement(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct indices, each drawn with probability proportional to its weight."""
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    keys = np.log(rng.random(weights.shape[0])) / np.maximum(weights, 1e-300)
    return np.argpartition(-keys, k - 1)[:k]
