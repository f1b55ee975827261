"""The seeding engine: one API behind every ``seed_*`` command, ``cleanup_data`` and ``bench_seed``.

Public API::

    WorldSpec(seed, scale, tenants, window)      # seeding.world: what the data is
    SeedRequest(spec, units, tenant=None, clean=False, workers=1, batch_size=50_000)
    seed(request, progress=NullProgress()) -> SeedResult
    cleanup(targets, units=None, batch_size=..., progress=...) -> dict[slug, rows deleted]
    existing_tenants() -> list[ExistingTenant]    # read through the replication role
    UNIT_ORDER, REQUIRES, SeedError

Units are the plan's §6.1 steps: ``tenants, customers, products, subscriptions, orders``
(orders and their items), ``events, invoices``. ``seed_all`` asks for all of them.

Guarantees:

* **RLS checks every row.** Rows are written by the app role inside
  ``tenant_context(tenant)`` through :mod:`seeding.loader` (COPY into TEMP, then
  ``INSERT ... SELECT``), so the tenant policy's ``WITH CHECK`` applies; tenants are created
  with :func:`tenancy.create_tenant`.
* **Atomic per tenant.** Everything a run writes for one tenant is one transaction: a
  Ctrl-C, kill or lost connection leaves each tenant either complete or absent.
* **Reruns carry on.** Without ``--clean``, tenants (and, for unit commands, tables) that
  are already there are skipped and the missing ones seeded, so an interrupted run is
  finished by running it again. The engine refuses, with the options to use, when the
  database holds tenants generated with *other* options (a different seed, scale or
  window): mixing two worlds would break the realism figures.
* **Deterministic.** Rows depend only on :class:`~seeding.world.WorldSpec`, never on
  ``--workers``, ``--batch-size`` or the order of work.
* **Cross-tenant reads** (which tenants exist, which tables they have) go through the
  read-only replication role; the app role never gets a cross-tenant view.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from seeding.generators.base import Batch
from seeding.generators.tenant import UNITS, TenantData
from seeding.loader import LOADER_ALIAS, LoadStats, TempTableLoader, prefetch, prepare_session
from seeding.progress import NullProgress, Progress, QueueProgress, relay
from seeding.world import TenantPlan, WorldSpec

UNIT_ORDER: tuple[str, ...] = ("tenants", *UNITS)
#: Units a unit needs to be present (or loaded in the same run) first.
REQUIRES: dict[str, tuple[str, ...]] = {
    "tenants": (), "customers": (), "products": (), "subscriptions": ("customers",),
    "orders": ("customers", "products"), "events": ("customers", "products", "orders"),
    "invoices": ("customers", "subscriptions"),
}
#: Units whose rows refer to a unit (removed with it by a unit-level ``--clean``).
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "customers": ("subscriptions", "orders", "events", "invoices"), "products": ("orders", "events"),
    "subscriptions": ("invoices",), "orders": ("events",), "events": (), "invoices": (),
}
#: Children first: the order cleanup deletes in.
DELETE_ORDER: tuple[tuple[str, str], ...] = (
    ("invoices", "models_app_invoice"), ("events", "models_app_event"), ("orders", "models_app_orderitem"),
    ("orders", "models_app_order"), ("subscriptions", "models_app_subscription"),
    ("products", "models_app_product"), ("customers", "models_app_customer"),
)
DEFAULT_BATCH_SIZE = 50_000
DEFAULT_DELETE_BATCH = 10_000
EVENT_GUARD = "models_app.Event:append_only"
TENANT_UPDATED_AT = "tenancy.Tenant:set_updated_at"


class SeedError(Exception):
    """A request the engine refuses; the message says what to do instead."""


@dataclass(frozen=True)
class SeedRequest:
    spec: WorldSpec
    units: tuple[str, ...] = UNIT_ORDER
    tenant: str | None = None
    clean: bool = False
    workers: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE


@dataclass
class TenantResult:
    slug: str
    tenant_id: str
    created: bool
    units: list[str]
    stats: LoadStats
    seconds: float
    skipped: str = ""


@dataclass
class SeedResult:
    tenants: list[TenantResult] = field(default_factory=list)
    seconds: float = 0.0
    cleaned: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.stats.rows for t in self.tenants) + sum(1 for t in self.tenants if t.created)

    def table_totals(self) -> dict[str, tuple[int, float]]:
        """Rows and loader seconds per table, summed over tenants."""
        totals: dict[str, list[float]] = {}
        for t in self.tenants:
            for table, st in t.stats.tables.items():
                entry = totals.setdefault(table, [0, 0.0])
                entry[0] += st.rows
                entry[1] += st.seconds
        return {k: (int(v[0]), v[1]) for k, v in totals.items()}


@dataclass
class ExistingTenant:
    id: str
    slug: str
    name: str
    settings: dict[str, Any]
    present: set[str]

    @property
    def fingerprint(self) -> dict[str, Any] | None:
        seeding = self.settings.get("seeding") if isinstance(self.settings, dict) else None
        if not isinstance(seeding, dict):
            return None
        return {k: seeding.get(k) for k in ("seed", "scale", "start_date", "days", "version")}


# ---------------------------------------------------------------------------------------
# Reading what is there (replication role: read-only, sees every tenant)
# ---------------------------------------------------------------------------------------


def existing_tenants() -> list[ExistingTenant]:
    """Every tenant with the units it has rows in, read through the replication role."""
    from project.database import connect

    exists = ", ".join(
        f"EXISTS (SELECT 1 FROM {table} x WHERE x.tenant_id = t.id)"  # noqa: S608 - table names are ours
        for _, table in _presence_tables())
    conn = connect("replication")
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT t.id::text, t.slug, t.name, t.settings, {exists} "  # noqa: S608
                           "FROM tenancy_tenant t ORDER BY t.slug")
            rows = cursor.fetchall()
    finally:
        conn.close()
    units = [unit for unit, _ in _presence_tables()]
    return [ExistingTenant(r[0], r[1], r[2], r[3] or {}, {u for u, has in zip(units, r[4:], strict=True) if has})
            for r in rows]


def _presence_tables() -> list[tuple[str, str]]:
    return [(unit, tables[0]) for unit, tables in UNITS.items()]


# ---------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    plan: TenantPlan
    create: bool
    units: tuple[str, ...]


def with_dependents(units: Iterable[str]) -> set[str]:
    """The units and every unit whose rows refer to them (deleting a parent needs its children gone)."""
    out = set(units)
    changed = True
    while changed:
        changed = False
        for unit in list(out):
            for dep in DEPENDENTS.get(unit, ()):
                if dep not in out:
                    out.add(dep)
                    changed = True
    return out


def plans_for(spec: WorldSpec, tenant: str | None) -> list[TenantPlan]:
    if tenant is None:
        return list(spec.plans)
    plan = spec.plan_by_slug(tenant)
    if plan is None:
        allowed = ", ".join(p.slug for p in spec.plans)
        raise SeedError(f"--tenant {tenant!r} is not a tenant of this world ({spec.describe()}); "
                        f"allowed slugs: {allowed}")
    return [plan]


def _clean(request: SeedRequest, plans: list[TenantPlan], existing: list[ExistingTenant],
           progress: Progress) -> dict[str, int]:
    whole = "tenants" in request.units
    if whole:
        if request.tenant is not None:
            targets = [e for e in existing if e.slug == request.tenant]
        else:
            targets = [e for e in existing if e.fingerprint is not None]
        return cleanup(targets, None, progress=progress)
    ids = {str(p.tenant_id) for p in plans}
    targets = [e for e in existing if e.id in ids]
    return cleanup(targets, with_dependents(request.units), progress=progress)


def _jobs(request: SeedRequest, plans: list[TenantPlan], existing: list[ExistingTenant]) -> list[_Job]:
    spec = request.spec
    wanted = spec.fingerprint()
    by_id = {e.id: e for e in existing}
    by_slug = {e.slug: e for e in existing}
    if "tenants" in request.units and request.tenant is None:
        foreign = sorted({e.slug for e in existing if e.fingerprint not in (None, wanted)})
        if foreign:
            raise SeedError(
                f"the database holds generated tenants made with other options ({', '.join(foreign[:5])}"
                f"{' ...' if len(foreign) > 5 else ''}); rerun with --clean to replace them, or repeat the "
                "options they were made with (see their settings['seeding'])")
    jobs: list[_Job] = []
    for plan in plans:
        found = by_id.get(str(plan.tenant_id))
        clash = by_slug.get(plan.slug)
        if found is None and clash is not None:
            raise SeedError(f"a tenant with slug {plan.slug!r} already exists and was not made by this world "
                            f"({spec.describe()}); remove it with cleanup_data --tenant {plan.slug} or use --clean")
        if found is not None and found.fingerprint != wanted:
            raise SeedError(f"tenant {plan.slug!r} was generated with other options ({found.fingerprint}); "
                            f"rerun with --clean to replace it, or use those options")
        present = found.present if found else set()
        if found is None and "tenants" not in request.units:
            raise SeedError(f"tenant {plan.slug!r} does not exist yet: run seed_tenants (or seed_all) first "
                            f"with the same options ({spec.describe()})")
        todo = tuple(u for u in UNIT_ORDER if u in request.units and u != "tenants" and u not in present)
        for unit in todo:
            missing = [r for r in REQUIRES[unit] if r not in present and r not in todo]
            if missing:
                raise SeedError(f"tenant {plan.slug!r} has no {', '.join(missing)} yet: run "
                                f"{' and '.join('seed_' + m for m in missing)} (or seed_all) before seed_{unit}")
        if found is None or todo:
            jobs.append(_Job(plan, found is None, todo))
    return jobs


def seed(request: SeedRequest, progress: Progress | None = None) -> SeedResult:
    """Seed the requested units for the world's tenants (see the module docstring)."""
    progress = progress or NullProgress()
    started = time.perf_counter()
    unknown = [u for u in request.units if u not in UNIT_ORDER]
    if unknown:
        raise SeedError(f"unknown units {unknown}; choose from {', '.join(UNIT_ORDER)}")
    plans = plans_for(request.spec, request.tenant)
    result = SeedResult()
    existing = existing_tenants()
    if request.clean:
        result.cleaned = _clean(request, plans, existing, progress)
        existing = existing_tenants()
    jobs = _jobs(request, plans, existing)
    done = {str(p.tenant_id) for p in plans} - {str(j.plan.tenant_id) for j in jobs}
    for plan in plans:
        if str(plan.tenant_id) in done:
            result.tenants.append(TenantResult(plan.slug, str(plan.tenant_id), False, [], LoadStats(), 0.0,
                                               skipped="already seeded"))
    jobs.sort(key=lambda j: -j.plan.estimated_rows())
    workers = max(1, min(request.workers, len(jobs)))
    if workers == 1:
        for job in jobs:
            result.tenants.append(run_job(request.spec, job, request.batch_size, progress))
    else:
        result.tenants.extend(_run_parallel(request, jobs, workers, progress))
    result.seconds = time.perf_counter() - started
    return result


def _run_parallel(request: SeedRequest, jobs: list[_Job], workers: int, progress: Progress) -> list[TenantResult]:
    """Tenants in worker processes (fork: they inherit settings), each with its own connection."""
    from django.db import connections

    connections.close_all()  # never share a socket with a child
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    listener = relay(q, progress)
    results: list[TenantResult] = []
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(q,)) as pool:
            futures = {pool.submit(_worker_run, request.spec, job, request.batch_size): job for job in jobs}
            try:
                for future in as_completed(futures):
                    results.append(future.result())
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        q.put(None)
        listener.join(timeout=5)
    return results


_worker_progress: Progress = NullProgress()


def _worker_init(q: Any) -> None:
    global _worker_progress
    import sys

    from django.db import connections

    # The loader thread wakes after every statement; let it take the GIL from the generator
    # thread sooner than the default 5 ms.
    sys.setswitchinterval(0.001)

    for conn in connections.all(initialized_only=True):
        conn.connection = None  # the parent's (closed) handles are not ours
    _worker_progress = QueueProgress(q)


def _worker_run(spec: WorldSpec, job: _Job, batch_size: int) -> TenantResult:
    from django.db import connections

    try:
        return run_job(spec, job, batch_size, _worker_progress)
    finally:
        connections.close_all()


def _ensure_session() -> None:
    from django.db import DatabaseError, connections, transaction

    with connections[LOADER_ALIAS].cursor() as cursor:
        try:
            with transaction.atomic(using=LOADER_ALIAS):
                prepare_session(cursor)
        except DatabaseError:
            pass  # TEMP tables were already used on this connection: keep its setting


def _create_tenant(spec: WorldSpec, plan: TenantPlan) -> None:
    import pgtrigger
    from django.db import connections

    from tenancy import create_tenant

    create_tenant(name=plan.name, slug=plan.slug, domain=plan.domain, settings=spec.tenant_settings(plan),
                  tenant_id=plan.tenant_id, using=LOADER_ALIAS)
    # Business time, not wall time, so that reruns give identical rows.
    at = dt.datetime.fromtimestamp(plan.created_ms / 1000, tz=dt.UTC)
    with pgtrigger.ignore(TENANT_UPDATED_AT, databases=[LOADER_ALIAS]), \
            connections[LOADER_ALIAS].cursor() as cursor:
        cursor.execute("UPDATE tenancy_tenant SET created_at = %s, updated_at = %s WHERE id = %s",
                       [at, at, plan.tenant_id])


def batches_for(spec: WorldSpec, plan: TenantPlan, units: Iterable[str], batch_size: int):
    """The COPY batches of these units for one tenant (generation only; used by bench too)."""
    data = TenantData(spec, plan)
    for unit in units:
        yield from data.unit_batches(unit, batch_size)


def run_job(spec: WorldSpec, job: _Job, batch_size: int, progress: Progress) -> TenantResult:
    """Seed one tenant in one transaction, as the app role under its tenant context."""
    from django.db import connections

    from tenancy import tenant_context

    plan = job.plan
    started = time.perf_counter()
    progress.start_tenant(plan.slug, plan.estimated_rows())
    _ensure_session()

    def on_batch(batch: Batch, seconds: float) -> None:
        progress.advance(plan.slug, batch.table, batch.rows, seconds)

    try:
        with tenant_context(plan.tenant_id, using=LOADER_ALIAS):
            if job.create:
                _create_tenant(spec, plan)
            with connections[LOADER_ALIAS].cursor() as cursor:
                loader = TempTableLoader(cursor, on_batch)
                for batch in prefetch(batches_for(spec, plan, job.units, batch_size)):
                    loader.load(batch)
    except BaseException:
        progress.finish_tenant(plan.slug, "rolled back (nothing of this tenant was written)")
        raise
    seconds = time.perf_counter() - started
    stats = loader.stats
    rate = stats.rows / seconds if seconds > 0 else 0.0
    what = ("tenant + " if job.create else "") + (", ".join(job.units) or "no tables")
    progress.finish_tenant(plan.slug, f"{what}: {stats.rows:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)")
    return TenantResult(plan.slug, str(plan.tenant_id), job.create, list(job.units), stats, seconds)


# ---------------------------------------------------------------------------------------
# Cleanup (DELETE, never TRUNCATE: CDC consumers such as AWS DMS do not see TRUNCATE)
# ---------------------------------------------------------------------------------------


def cleanup(targets: list[ExistingTenant], units: set[str] | None = None, *,
            batch_size: int = DEFAULT_DELETE_BATCH, progress: Progress | None = None) -> dict[str, int]:
    """Delete the tenants' rows (``units=None``: everything, then the tenant row) in batches.

    One transaction per tenant, so a tenant is never left half-deleted; inside it, DELETEs
    walk the ``(tenant_id, id)`` index in keyset batches of ``batch_size`` rows.
    """
    import pgtrigger
    from django.db import connections

    from tenancy import tenant_context

    progress = progress or NullProgress()
    deleted: dict[str, int] = {}
    for target in targets:
        total = 0
        started = time.perf_counter()
        with tenant_context(target.id, using=LOADER_ALIAS), \
                pgtrigger.ignore(EVENT_GUARD, databases=[LOADER_ALIAS]), \
                connections[LOADER_ALIAS].cursor() as cursor:
            for unit, table in DELETE_ORDER:
                if units is not None and unit not in units:
                    continue
                table_started = time.perf_counter()
                rows = _delete_table(cursor, table, target.id, batch_size)
                total += rows
                if rows:
                    progress.advance(target.slug, table, rows, time.perf_counter() - table_started)
            if units is None:
                cursor.execute("DELETE FROM tenancy_tenant WHERE id = %s", [target.id])
                total += cursor.rowcount
        deleted[target.slug] = total
        progress.finish_tenant(target.slug, f"deleted {total:,} rows in {time.perf_counter() - started:.1f}s")
    return deleted


def _delete_table(cursor, table: str, tenant_id: str, batch_size: int) -> int:
    last = "00000000-0000-0000-0000-000000000000"
    total = 0
    while True:
        cursor.execute(
            f"WITH doomed AS (DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
            "WHERE tenant_id = %s AND id > %s::uuid ORDER BY id LIMIT %s) RETURNING id) "
            "SELECT count(*), max(id::text) FROM doomed", [tenant_id, last, batch_size])
        count, top = cursor.fetchone()
        total += count
        if count < batch_size or top is None:
            return total
        last = top


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
