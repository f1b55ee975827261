"""Running simulators in threads, one connection each, and merging what they committed."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

from django.db import connections

from cdc.workload.ledger import Summary, merge_summaries
from cdc.workload.simulator import CATEGORIES, CONNECTION_ERRORS, Simulator
from seeding import distributions as D

log = logging.getLogger(__name__)

#: Parallel connections beyond this are refused: the machine, not the workload, would be measured.
MAX_WORKERS = 64


def worker_groups(tenant_ids: list[uuid.UUID], workers: int) -> list[list[uuid.UUID]]:
    """Tenants split between workers; never more workers than tenants.

    A tenant's running order and invoice numbers are kept by one worker, so two workers on
    one tenant would hand out the same number; one tenant per connection at most is also
    all that helps (a tenant's work is paced, not parallel).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")
    count = min(workers, len(tenant_ids))
    return [tenant_ids[i::count] for i in range(count)]


def run_workers(tenant_ids: list[uuid.UUID], *, workers: int = 2, operations: tuple[str, ...] = CATEGORIES,
                seed: int | None = None, seconds: float | None = None, rate_per_minute: float = 0.0,
                time_scale: float | None = D.WORKLOAD_TIME_SCALE, should_stop: Callable[[], bool] = lambda: False,
                status_every: float = 10.0, reconnect_timeout: float = 120.0,
                simulated_seconds: float | None = None) -> Summary:
    """Run simulators in threads, one connection each, and merge their ledgers.

    A worker spends most of its time waiting for PostgreSQL (round trips, commit fsync), and
    psycopg2 releases the GIL while waiting, so two threads roughly double throughput on a
    small machine. Progress is logged (INFO) every ``status_every`` seconds. A worker that
    fails (the server gone for longer than ``reconnect_timeout``) stops the others; the
    summary then still holds everything that committed and names the failure in one sentence.
    """
    groups = worker_groups(tenant_ids, workers)
    log.info("simulating %d tenant(s) with %d worker(s) at %s, %s", len(tenant_ids), len(groups),
             f"{rate_per_minute:g} operations/minute" if rate_per_minute else "full speed",
             "a stepped clock" if time_scale is None else f"time scale {time_scale:g}")
    if len(groups) < workers:
        log.warning("%d tenant(s): running %d worker(s), not %d (one tenant per connection at most)",
                    len(tenant_ids), len(groups), workers)
    simulators = [Simulator(group, operations=operations, seed=None if seed is None else seed * 1000 + i,
                            time_scale=time_scale, reconnect_timeout=reconnect_timeout)
                  for i, group in enumerate(groups)]
    stop = threading.Event()
    results: list[Summary | BaseException | None] = [None] * len(groups)

    def work(index: int) -> None:
        try:
            results[index] = simulators[index].run(
                seconds=seconds, rate_per_minute=rate_per_minute / len(groups),
                should_stop=lambda: stop.is_set() or should_stop(), simulated_seconds=simulated_seconds)
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
            stop.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,), name=f"simulator-{i}", daemon=True)
               for i in range(len(groups))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    last_total, last_time = 0, started
    while any(thread.is_alive() for thread in threads):
        if should_stop():
            stop.set()
        for thread in threads:
            thread.join(timeout=0.2 / len(threads))
        now = time.monotonic()
        if now - last_time >= status_every:
            total = sum(sum(s.operations.values()) for s in simulators)
            log.info("%s", status_line(simulators, now - started, (total - last_total) / (now - last_time)))
            last_total, last_time = total, now
    elapsed = time.monotonic() - started
    failure = None
    parts = []
    for sim, result in zip(simulators, results, strict=True):
        if isinstance(result, Summary):
            parts.append(result)
        else:  # the worker died: what it committed is still in its ledger
            parts.append(sim.summary(elapsed))
            if isinstance(result, BaseException) and failure is None:
                failure = describe_failure(result)
    return merge_summaries(parts, elapsed, failure)


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, CONNECTION_ERRORS):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database went away and did not come back ({first[:160]})"
    return f"a worker failed: {type(exc).__name__}: {str(exc).strip()[:160]}"


def status_line(simulators: list[Simulator], elapsed: float, rate: float) -> str:
    merged: Counter[str] = Counter()
    for sim in simulators:
        merged.update(sim.operations)
    total = sum(merged.values())
    simulated = max((sim.clock.now() - sim.clock.origin for sim in simulators), default=0.0) / 3600
    parts = " ".join(f"{k} {v}" for k, v in sorted(merged.items()))
    return (f"[{elapsed:6.1f}s, simulated {simulated:.2f} h] {total} ops ({rate:.0f}/s) | {parts} | "
            f"errors {sum(s.errors for s in simulators)} reconnects {sum(s.reconnects for s in simulators)}")
