"""A microbenchmark of entering and leaving a tenant context: signed against the unsigned form.

Both variants run in the same process, on the same connection, interleaved round by round,
so the ratio compares like with like on a shared machine. The reference is the context as
it was before signing: ``BEGIN; set_config('app.tenant_id', <id>, true)`` on entry and
``set_config(..., '', true); COMMIT`` on exit. The signed context adds the session reset
and the transaction binding (one statement), the proof (computed in Python) and the
verifier's HMAC (in SQL). ``manage.py bench_context`` prints the JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def interleaved_timings(variants: dict[str, Callable[[], None]], iterations: int,
                        warmup: int = 20) -> dict[str, list[float]]:
    """Seconds per call of each variant; every round runs each variant once, in turn."""
    for _ in range(warmup):
        for run in variants.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(iterations):
        for name, run in variants.items():
            started = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - started)
    return samples


def summarise(samples: dict[str, list[float]], reference: str) -> dict[str, object]:
    """Median and p95 in microseconds per variant, and each median's ratio to the reference's."""
    def micros(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {"median_us": round(statistics.median(ordered) * 1e6, 1),
                "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))] * 1e6, 1),
                "mean_us": round(statistics.fmean(ordered) * 1e6, 1)}

    results = {name: micros(values) for name, values in samples.items()}
    base = results[reference]["median_us"]
    for values in results.values():
        values["ratio_to_reference"] = round(values["median_us"] / base, 3) if base else None
    return {"reference": reference, "iterations": len(samples[reference]), "variants": results}


__all__ = ["interleaved_timings", "summarise"]
