"""``bench_seed``: seed a scratch database and compare with raw COPY of the same rows.

1. Two scratch databases are created and migrated identically (same tables, indexes,
   constraints, policies, triggers): one for the seeder, one for the reference.
2. **Seed**: the real engine (app role, tenant contexts, TEMP + ``INSERT ... SELECT``,
   one transaction per tenant, ``workers`` tenants in parallel), timed end to end
   including generation.
3. **Reference**: the same rows (regenerated deterministically and spooled to files,
   untimed) loaded with raw ``COPY`` by the admin connection — the fastest path PostgreSQL
   offers, which the app role is refused on RLS tables — with the same parallelism and one
   transaction per tenant.
4. ``ratio = reference_seconds / seed_seconds`` (1.0 = as fast as raw COPY). Memory is
   reported two ways: ``peak_rss_mb``, the largest peak RSS of any one process (this one or
   a worker), and ``peak_total_pss_mb``, the peak of this process and all its workers
   together, sampled every 0.1 s during the seed step (:mod:`seeding.memory`).

Both databases are dropped at the end, and Django's aliases restored.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from project.bootstrap import drop_database, ensure_database, ensure_roles
from project.database import connect, current_database_name, point_all_aliases_at
from rls.sql import qn
from seeding import distributions as D
from seeding import tables as T
from seeding.copytext import timestamps
from seeding.engine import UNIT_ORDER, SeedRequest, batches_for, seed
from seeding.interrupt import Stopped, StopSignal
from seeding.memory import TreeMemorySampler
from seeding.pools import copy_escape
from seeding.progress import NullProgress, Progress
from seeding.world import TenantPlan, WorldSpec, default_window

__all__ = ["TARGETS", "run"]

logger = logging.getLogger(__name__)

#: Targets on a 2-core machine (docs/REQUIREMENTS.md).
TARGETS = {"small": {"seconds": 10.0}, "medium": {"seconds": 40.0, "ratio": 0.8}, "large": {"seconds": 400.0},
           "peak_rss_mb": 500.0}
TENANT_COLUMNS = ("id", "name", "slug", "domain", "created_at", "updated_at", "is_active", "settings")


def _prepare(name: str) -> None:
    ensure_database(name, fresh=True)
    point_all_aliases_at(name)
    call_command("migrate", database="owner", verbosity=0, interactive=False)
    connections["owner"].close()


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def _tenant_line(spec: WorldSpec, plan: TenantPlan) -> bytes:
    at = timestamps(np.array([plan.created_ms], dtype=np.int64))[0]
    fields = [str(plan.tenant_id), copy_escape(plan.name), plan.slug, plan.domain, at, at, "t",
              copy_escape(json.dumps(spec.tenant_settings(plan)))]
    return ("\t".join(fields) + "\n").encode()


def _spool(spec: WorldSpec, batch_size: int, folder: str) -> dict[int, list[tuple[str, tuple[str, ...], str]]]:
    """Write each tenant's rows to files: {tenant index: [(table, columns, path)]} in load order."""
    files: dict[int, list[tuple[str, tuple[str, ...], str]]] = {}
    for plan in spec.plans:
        entries: list[tuple[str, tuple[str, ...], str]] = []
        path = os.path.join(folder, f"{plan.index}-{T.TENANT}.copy")
        with open(path, "wb") as fh:
            fh.write(_tenant_line(spec, plan))
        entries.append((T.TENANT, TENANT_COLUMNS, path))
        handles: dict[str, Any] = {}
        try:
            for batch in batches_for(spec, plan, UNIT_ORDER[1:], batch_size):
                if batch.table not in handles:
                    path = os.path.join(folder, f"{plan.index}-{batch.table}.copy")
                    handles[batch.table] = open(path, "wb")  # noqa: SIM115 - closed below
                    entries.append((batch.table, batch.columns, path))
                handles[batch.table].write(batch.payload)
        finally:
            for fh in handles.values():
                fh.close()
        files[plan.index] = entries
    return files


def _reference_load(dbname: str, entries: list[tuple[str, tuple[str, ...], str]]) -> dict[str, tuple[int, float]]:
    out: dict[str, tuple[int, float]] = {}
    conn = connect("admin", dbname=dbname)
    try:
        with conn, conn.cursor() as cursor:
            for table, columns, path in entries:
                started = time.perf_counter()
                with open(path, "rb") as fh:
                    cursor.copy_expert(f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN",
                                       fh, 1 << 20)
                out[table] = (cursor.rowcount, time.perf_counter() - started)
    finally:
        conn.close()
    return out


def _table_report(totals: dict[str, tuple[int, float]]) -> dict[str, dict[str, float]]:
    return {t: {"rows": r, "seconds": round(s, 3), "rows_per_second": round(r / s) if s else None}
            for t, (r, s) in sorted(totals.items())}


def run(scale: str, *, seed_value: int = 1, tenants: int = D.DEFAULT_TENANTS, days: int = D.DEFAULT_DAYS,
        workers: int = 2, batch_size: int = 50_000, progress: Progress | None = None,
        stop: StopSignal | None = None) -> dict[str, Any]:
    """The figures as a JSON-ready dict; raises :class:`~seeding.interrupt.Stopped` if ``stop`` is set."""
    progress = progress or NullProgress()
    stop = stop or StopSignal()
    spec = WorldSpec(seed=seed_value, scale=scale, tenants=tenants, window=default_window(days))
    original = current_database_name()
    seed_db, ref_db = f"bench_seed_{os.getpid()}", f"bench_ref_{os.getpid()}"
    spool = tempfile.mkdtemp(prefix="bench_seed_")
    try:
        ensure_roles()
        logger.info("preparing scratch databases %s and %s", seed_db, ref_db)
        _prepare(ref_db)
        _prepare(seed_db)
        logger.info("seeding %s (%s) with %d worker(s)", scale, spec.describe(), workers)
        with TreeMemorySampler() as memory:
            result = seed(SeedRequest(spec=spec, units=UNIT_ORDER, workers=workers, batch_size=batch_size),
                          progress, stop)
        if result.interrupted:
            raise Stopped("bench_seed")
        peak = _peak_rss_mb()
        seed_seconds = result.seconds
        seed_tables = result.table_totals()
        seed_tables[T.TENANT] = (sum(1 for t in result.tenants if t.created), 0.0)
        connections.close_all()
        logger.info("spooling the same rows for the reference load (untimed)")
        files = _spool(spec, batch_size, spool)
        if stop.is_set():
            raise Stopped("bench_seed")
        logger.info("reference: raw COPY by the admin role into %s", ref_db)
        started = time.perf_counter()
        ref_tables: dict[str, list[float]] = {}
        order = sorted(files, key=lambda i: -spec.plans[i].estimated_rows())
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for tables in pool.map(lambda i: _reference_load(ref_db, files[i]), order):
                for table, (rows, secs) in tables.items():
                    entry = ref_tables.setdefault(table, [0, 0.0])
                    entry[0] += rows
                    entry[1] += secs
        ref_seconds = time.perf_counter() - started
        ref_totals = {t: (int(v[0]), v[1]) for t, v in ref_tables.items()}
        ref_rows = sum(r for r, _ in ref_totals.values())
        seed_rows = sum(r for r, _ in seed_tables.values())
        ratio = ref_seconds / seed_seconds if seed_seconds else None
        return {
            "scale": scale, "world": spec.describe(), "workers": workers, "batch_size": batch_size,
            "cpu_count": os.cpu_count(),
            "seed": {"seconds": round(seed_seconds, 3), "rows": seed_rows,
                     "rows_per_second": round(seed_rows / seed_seconds) if seed_seconds else None,
                     "tables": _table_report(seed_tables)},
            "reference": {"seconds": round(ref_seconds, 3), "rows": ref_rows,
                          "rows_per_second": round(ref_rows / ref_seconds) if ref_seconds else None,
                          "tables": _table_report(ref_totals), "method": "raw COPY as admin (bypasses RLS)"},
            "ratio": round(ratio, 3) if ratio else None,
            "ratio_definition": "reference_seconds / seed_seconds",
            "peak_rss_mb": round(peak, 1),
            "peak_total_pss_mb": memory.peak_mb,
            "memory_samples": memory.samples,
            "targets": {**TARGETS.get(scale, {}), "peak_rss_mb": TARGETS["peak_rss_mb"]},
        }
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        for alias in settings.DATABASES:
            connections[alias].close()
        drop_database(seed_db)
        drop_database(ref_db)
        point_all_aliases_at(original)
