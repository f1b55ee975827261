"""The seeding engine: one API behind every ``seed_*`` command, ``cleanup_data`` and ``bench_seed``.

Public API::

    WorldSpec(seed, scale, tenants, window)      # seeding.world: what the data is
    SeedRequest(spec, units, tenant=None, clean=False, workers=1, batch_size=50_000)
    seed(request, progress=None, stop=None) -> SeedResult
    cleanup(targets, units=None, batch_size=..., progress=None, stop=None) -> CleanupResult
    count_rows(targets, units=None) -> {slug: {table: rows}}   # what cleanup would delete
    existing_tenants() -> list[ExistingTenant]    # read through the replication role
    UNIT_ORDER, REQUIRES, SeedError

Units are the seeding steps in dependency order (docs/REQUIREMENTS.md): ``tenants,
customers, products, subscriptions, orders`` (orders and their items), ``events,
invoices``. ``seed_all`` asks for all of them.

Guarantees:

* **RLS checks every row.** Rows are written by the app role inside
  ``tenant_context(tenant)`` through :mod:`seeding.loader` (COPY into TEMP, then
  ``INSERT ... SELECT``), so the tenant policy's ``WITH CHECK`` applies; tenants are created
  with :func:`tenancy.create_tenant`.
* **Atomic per tenant.** Everything a run writes for one tenant is one transaction: a
  Ctrl-C, kill or lost connection leaves each tenant either complete or absent.
* **Stoppable.** With a :class:`~seeding.interrupt.StopSignal` (set by the commands at the
  first Ctrl-C), no tenant starts after the signal and the tenants in flight roll back at
  their next batch; the result lists exactly the tenants that committed.
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
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import pgtrigger
from django.db import DatabaseError, connection, connections, transaction

from project.database import connect
from seeding import tables as T
from seeding.generators.base import Batch
from seeding.generators.tenant import UNITS, TenantData
from seeding.interrupt import Stopped, StopSignal
from seeding.loader import LoadStats, TempTableLoader, prefetch, prepare_session
from seeding.progress import NullProgress, Progress, QueueProgress, relay
from seeding.wal import estimate_wal_bytes, slots_at_risk
from seeding.world import TenantPlan, WorldSpec
from tenancy import tenant_context
from tenancy.services import create_tenant

__all__ = [
    "DEFAULT_BATCH_SIZE", "DEFAULT_DELETE_BATCH", "DELETE_ORDER", "REQUIRES", "UNITS", "UNIT_ORDER", "CleanupResult",
    "ExistingTenant", "SeedError", "SeedRequest", "SeedResult", "TenantResult", "batches_for", "cleanup",
    "count_rows", "default_workers", "existing_tenants", "plans_for", "run_job", "seed", "with_dependents",
]

logger = logging.getLogger(__name__)

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
    ("invoices", T.INVOICE), ("events", T.EVENT), ("orders", T.ORDER_ITEM), ("orders", T.ORDER),
    ("subscriptions", T.SUBSCRIPTION), ("products", T.PRODUCT), ("customers", T.CUSTOMER),
)
TENANT_TABLE = T.TENANT
DEFAULT_BATCH_SIZE = 50_000
DEFAULT_DELETE_BATCH = 10_000
EVENT_GUARD = T.EVENT_GUARD
TENANT_UPDATED_AT = T.TENANT_UPDATED_AT


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
class CleanupResult:
    """Rows deleted per tenant that was deleted completely, and the tenants left as they were."""

    deleted: dict[str, int] = field(default_factory=dict)
    untouched: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def rows(self) -> int:
        return sum(self.deleted.values())


@dataclass
class SeedResult:
    tenants: list[TenantResult] = field(default_factory=list)
    seconds: float = 0.0
    cleaned: CleanupResult = field(default_factory=CleanupResult)
    #: Tenants that were to be seeded but were not (stopped before or during their transaction).
    not_seeded: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def seeded(self) -> list[TenantResult]:
        return [t for t in self.tenants if not t.skipped]

    @property
    def rows(self) -> int:
        """Rows written to the tenant-scoped tables (what ``seed_report`` counts; tenant rows not included)."""
        return sum(t.stats.rows for t in self.tenants)

    @property
    def tenants_created(self) -> int:
        return sum(1 for t in self.tenants if t.created)

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


def _read(sql: str, params: Any = None) -> list[tuple]:
    conn = connect("replication")
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        conn.close()


def existing_tenants() -> list[ExistingTenant]:
    """Every tenant with the units it has rows in, read through the replication role."""
    exists = ", ".join(
        f"EXISTS (SELECT 1 FROM {table} x WHERE x.tenant_id = t.id)"  # noqa: S608 - table names are ours
        for _, table in _presence_tables())
    rows = _read(f"SELECT t.id::text, t.slug, t.name, t.settings, {exists} "  # noqa: S608
                 f"FROM {TENANT_TABLE} t ORDER BY t.slug")
    units = [unit for unit, _ in _presence_tables()]
    return [ExistingTenant(r[0], r[1], r[2], r[3] or {}, {u for u, has in zip(units, r[4:], strict=True) if has})
            for r in rows]


def _presence_tables() -> list[tuple[str, str]]:
    return [(unit, tables[0]) for unit, tables in UNITS.items()]


def count_rows(targets: list[ExistingTenant], units: set[str] | None = None) -> dict[str, dict[str, int]]:
    """Rows per table that :func:`cleanup` with the same arguments would delete, per tenant slug."""
    out: dict[str, dict[str, int]] = {t.slug: {} for t in targets}
    if not targets:
        return out
    slug_of = {t.id: t.slug for t in targets}
    ids = list(slug_of)
    for unit, table in DELETE_ORDER:
        if units is not None and unit not in units:
            continue
        found = dict(_read(f"SELECT tenant_id::text, count(*) FROM {table} "  # noqa: S608 - table names are ours
                           "WHERE tenant_id = ANY(%s::uuid[]) GROUP BY 1", [ids]))
        for tenant_id, slug in slug_of.items():
            out[slug][table] = int(found.get(tenant_id, 0))
    if units is None:
        for slug in out.values():
            slug[TENANT_TABLE] = 1
    return out


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
           progress: Progress, stop: StopSignal) -> CleanupResult:
    whole = "tenants" in request.units
    if whole:
        if request.tenant is not None:
            targets = [e for e in existing if e.slug == request.tenant]
        else:
            targets = [e for e in existing if e.fingerprint is not None]
        return cleanup(targets, None, progress=progress, stop=stop)
    ids = {str(p.tenant_id) for p in plans}
    targets = [e for e in existing if e.id in ids]
    return cleanup(targets, with_dependents(request.units), progress=progress, stop=stop)


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


def _warn_about_slots(jobs: list[_Job]) -> None:
    planned = sum(j.plan.estimated_rows() for j in jobs)
    logger.debug("%d tenant(s) to seed, about %s rows and %s MB of WAL", len(jobs), f"{planned:,}",
                 f"{estimate_wal_bytes(planned) / 2**20:,.0f}")
    if planned:
        for risk in slots_at_risk(planned):
            logger.warning("warning: %s", risk.sentence())


def seed(request: SeedRequest, progress: Progress | None = None, stop: StopSignal | None = None) -> SeedResult:
    """Seed the requested units for the world's tenants (see the module docstring)."""
    progress = progress or NullProgress()
    stop = stop or StopSignal()
    started = time.perf_counter()
    unknown = [u for u in request.units if u not in UNIT_ORDER]
    if unknown:
        raise SeedError(f"unknown units {unknown}; choose from {', '.join(UNIT_ORDER)}")
    plans = plans_for(request.spec, request.tenant)
    result = SeedResult()
    existing = existing_tenants()
    if request.clean:
        result.cleaned = _clean(request, plans, existing, progress, stop)
        existing = existing_tenants()
    jobs = _jobs(request, plans, existing) if not result.cleaned.interrupted else []
    done = {str(p.tenant_id) for p in plans} - {str(j.plan.tenant_id) for j in jobs}
    for plan in plans:
        if str(plan.tenant_id) in done and not result.cleaned.interrupted:
            result.tenants.append(TenantResult(plan.slug, str(plan.tenant_id), False, [], LoadStats(), 0.0,
                                               skipped="already seeded"))
    jobs.sort(key=lambda j: -j.plan.estimated_rows())
    _warn_about_slots(jobs)
    workers = max(1, min(request.workers, len(jobs)))
    if workers == 1:
        outcomes = [(job, run_job(request.spec, job, request.batch_size, progress, stop)) for job in jobs]
    else:
        outcomes = _run_parallel(request, jobs, workers, progress, stop)
    for job, outcome in outcomes:
        if outcome is None:
            result.not_seeded.append(job.plan.slug)
        else:
            result.tenants.append(outcome)
    result.interrupted = stop.is_set()
    result.seconds = time.perf_counter() - started
    return result


def _run_parallel(request: SeedRequest, jobs: list[_Job], workers: int, progress: Progress,
                  stop: StopSignal) -> list[tuple[_Job, TenantResult | None]]:
    """Tenants in worker processes (fork: they inherit settings), each with its own connection.

    Workers ignore SIGINT; the parent's :class:`StopSignal` reaches them through a shared
    event, so no job starts after it and the jobs in flight roll back at their next batch.
    An error in one worker stops the others the same way, then re-raises here.
    """
    connections.close_all()  # the forked workers must not inherit an open socket
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    shared = stop.share(ctx)
    listener = relay(q, progress)
    outcomes: list[tuple[_Job, TenantResult | None]] = []
    error: BaseException | None = None
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                                 initargs=(q, shared)) as pool:
            futures: dict[Future, _Job] = {pool.submit(_worker_run, request.spec, job, request.batch_size): job
                                           for job in jobs}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    if future.cancelled():
                        outcomes.append((futures[future], None))
                        continue
                    try:
                        outcomes.append((futures[future], future.result()))
                    except Exception as exc:  # noqa: BLE001 - re-raised once the others have stopped
                        outcomes.append((futures[future], None))
                        if error is None:
                            error = exc
                            stop.set()
                if stop.is_set():
                    for future in pending:
                        future.cancel()
    finally:
        q.put(None)
        listener.join(timeout=5)
    if error is not None:
        raise error
    return outcomes


_worker_progress: Progress = NullProgress()
_worker_stop: Any = None


def _worker_init(q: Any, shared_stop: Any) -> None:
    global _worker_progress, _worker_stop
    # The parent decides when to stop (it forwards Ctrl-C through ``shared_stop``); a SIGINT here
    # would raise between a COMMIT and its report and make the outcome unknowable.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The loader thread wakes after every statement; let it take the GIL from the generator
    # thread sooner than the default 5 ms.
    sys.setswitchinterval(0.001)
    _worker_progress = QueueProgress(q)
    _worker_stop = shared_stop


def _worker_run(spec: WorldSpec, job: _Job, batch_size: int) -> TenantResult | None:
    try:
        return run_job(spec, job, batch_size, _worker_progress, _worker_stop)
    finally:
        connections.close_all()


def _ensure_session() -> None:
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                prepare_session(cursor)
        except DatabaseError:
            pass  # TEMP tables were already used on this connection: keep its setting


def _create_tenant(spec: WorldSpec, plan: TenantPlan) -> None:
    create_tenant(name=plan.name, slug=plan.slug, domain=plan.domain, settings=spec.tenant_settings(plan),
                  tenant_id=plan.tenant_id)
    # Business time, not wall time, so that reruns give identical rows.
    at = dt.datetime.fromtimestamp(plan.created_ms / 1000, tz=dt.UTC)
    with pgtrigger.ignore(TENANT_UPDATED_AT, databases=["default"]), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TENANT_TABLE} SET created_at = %s, updated_at = %s WHERE id = %s",  # noqa: S608
                       [at, at, plan.tenant_id])


def batches_for(spec: WorldSpec, plan: TenantPlan, units: Iterable[str], batch_size: int) -> Iterator[Batch]:
    """The COPY batches of these units for one tenant (generation only; used by bench too)."""
    data = TenantData(spec, plan)
    for unit in units:
        yield from data.unit_batches(unit, batch_size)


def run_job(spec: WorldSpec, job: _Job, batch_size: int, progress: Progress,
            stop: Any = None) -> TenantResult | None:
    """Seed one tenant in one transaction, as the app role under its tenant context.

    Returns ``None`` when ``stop`` was set before the tenant started or while it was loading
    (then its transaction rolled back and nothing of it was written).
    """
    plan = job.plan
    if stop is not None and stop.is_set():
        return None
    started = time.perf_counter()
    progress.start_tenant(plan.slug, plan.estimated_rows())
    _ensure_session()

    def on_batch(batch: Batch, seconds: float) -> None:
        progress.advance(plan.slug, batch.table, batch.rows, seconds)

    try:
        with tenant_context(plan.tenant_id):
            if job.create:
                _create_tenant(spec, plan)
            with connection.cursor() as cursor:
                loader = TempTableLoader(cursor, on_batch)
                for batch in prefetch(batches_for(spec, plan, job.units, batch_size)):
                    if stop is not None and stop.is_set():
                        raise Stopped(plan.slug)
                    loader.load(batch)
    except Stopped:
        progress.finish_tenant(plan.slug, "stopped: rolled back, nothing of this tenant was written")
        return None
    except BaseException:
        progress.finish_tenant(plan.slug, "failed: rolled back, nothing of this tenant was written")
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
            batch_size: int = DEFAULT_DELETE_BATCH, progress: Progress | None = None,
            stop: StopSignal | None = None) -> CleanupResult:
    """Delete the tenants' rows (``units=None``: everything, then the tenant row) in batches.

    One transaction per tenant, so a tenant is never left half-deleted; inside it, DELETEs
    walk the ``(tenant_id, id)`` index in keyset batches of ``batch_size`` rows. When
    ``stop`` is set, no further tenant is started and the one in flight rolls back at its
    next batch: the result says which tenants were deleted completely and which are untouched.
    """
    progress = progress or NullProgress()
    stop = stop or StopSignal()
    result = CleanupResult()
    planned = count_rows(targets, units)
    for target in targets:
        if stop.is_set():
            result.untouched.append(target.slug)
            continue
        started = time.perf_counter()
        progress.start_tenant(target.slug, sum(planned[target.slug].values()))
        try:
            total = _delete_tenant(target, units, batch_size, progress, stop)
        except Stopped:
            progress.finish_tenant(target.slug, "stopped: rolled back, nothing of this tenant was deleted")
            result.untouched.append(target.slug)
            continue
        result.deleted[target.slug] = total
        progress.finish_tenant(target.slug, f"deleted {total:,} rows in {time.perf_counter() - started:.1f}s")
    result.interrupted = stop.is_set()
    return result


def _delete_tenant(target: ExistingTenant, units: set[str] | None, batch_size: int, progress: Progress,
                   stop: StopSignal) -> int:
    total = 0
    with tenant_context(target.id), pgtrigger.ignore(EVENT_GUARD, databases=["default"]), \
            connection.cursor() as cursor:
        for unit, table in DELETE_ORDER:
            if units is not None and unit not in units:
                continue
            for rows, seconds in _delete_batches(cursor, table, target.id, batch_size):
                total += rows
                progress.advance(target.slug, table, rows, seconds)
                if stop.is_set():
                    raise Stopped(target.slug)
        if units is None:
            cursor.execute(f"DELETE FROM {TENANT_TABLE} WHERE id = %s", [target.id])  # noqa: S608
            total += cursor.rowcount
    return total


def _delete_batches(cursor: Any, table: str, tenant_id: str, batch_size: int) -> Iterator[tuple[int, float]]:
    """Delete the tenant's rows of ``table`` in keyset batches; yields (rows, seconds) per batch."""
    last = "00000000-0000-0000-0000-000000000000"
    while True:
        started = time.perf_counter()
        cursor.execute(
            f"WITH doomed AS (DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
            "WHERE tenant_id = %s AND id > %s::uuid ORDER BY id LIMIT %s) RETURNING id) "
            "SELECT count(*), max(id::text) FROM doomed", [tenant_id, last, batch_size])
        count, top = cursor.fetchone()
        if count:
            yield count, time.perf_counter() - started
        if count < batch_size or top is None:
            return
        last = top


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
