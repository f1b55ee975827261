"""The RLS read tax: each metric as the app role under RLS vs. an explicit tenant filter.

For one tenant, every query runs in three forms, interleaved, in the same process and run:

* **app**: the metric as the app role inside ``tenant_context`` (the policies add their
  tenant condition, an initplan, to every table). By default the text also carries the
  explicit bound ``alias.tenant_id = %(tenant)s`` on every tenant-table scan that the
  application's runner sends (``explicit_filter=False`` measures the policy alone, the
  form that misled the planner on the largest tenant);
* **reference**: the same filtered text as the replication role (``BYPASSRLS``) - what a
  hand-written single-tenant query would be;
* **one-time filter** (the diagnosis of what is left): the reference text, still as the
  replication role and without RLS, with a second condition on every tenant-table scan that
  compares ``tenant_id`` with a value PostgreSQL learns only at run time,
  ``(SELECT %(tenant)s::uuid)``, an initplan like the policies'. The planner puts the bound
  tenant and that value in one equivalence class and checks ``<initplan> = <tenant>`` in a
  gating ``Result`` node (EXPLAIN: ``One-Time Filter``) above the scan, which every row of the
  scan passes through. Its ratio to the reference is what PostgreSQL charges any policy whose
  tenant the planner cannot see, before a verifier costs anything; ``app / one-time filter``
  is what the policies and the signed context's verifier add on top.

Only planning, execution and fetching are timed (not the ``BEGIN``/``set_config`` of the context).
``ratio = median(app) / median(reference)``; the target is <= 1.10 per metric. ``EXPLAIN
(FORMAT JSON)`` of the app and reference forms lists the indexes each plan uses, and which of them lead with
``tenant_id`` (the evidence that RLS does not turn index scans into sequential scans).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections
from sqlglot import exp

from analytics.definitions import TENANT, MetricDefinition, tenant_tables
from analytics.sqlgen import TENANT_PARAM, add_tenant_filter, render
from models_app.models import Order
from tenancy import tenant_context
from tenancy.models import Tenant

TARGET_RATIO = 1.10
#: Fast metrics run until each form has this much timed work (a median of 7 runs of a
#: 1 ms query is mostly scheduler noise), but never more than ``MAX_REPEAT`` times.
DEFAULT_MIN_MS = 1000.0
MAX_REPEAT = 200
TENANT_INDEXES_SQL = """
SELECT i.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
WHERE n.nspname = current_schema() AND a.attname = 'tenant_id'
"""
LARGEST_TENANT_SQL = f"""
SELECT t.id, t.slug, count(o.id) AS orders
FROM {Tenant._meta.db_table} t LEFT JOIN {Order._meta.db_table} o ON o.tenant_id = t.id
GROUP BY t.id, t.slug ORDER BY orders DESC, t.slug LIMIT 1
"""  # noqa: S608 - table names from the models


#: The tenant as the planner sees the policies' verified tenant: a value known only at run time.
RUNTIME_TENANT = exp.Subquery(this=exp.select(exp.cast(exp.Placeholder(this=TENANT_PARAM), "uuid")))
FORMS = ("app", "reference", "one_time_filter")


@dataclass
class PlanEvidence:
    indexes: list[str] = field(default_factory=list)
    tenant_indexes: list[str] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)  # tables read by a sequential scan


@dataclass
class MetricBench:
    name: str
    rows: int
    app_ms: list[float]
    reference_ms: list[float]
    one_time_filter_ms: list[float]
    app_plan: PlanEvidence
    reference_plan: PlanEvidence

    @property
    def app_median_ms(self) -> float:
        return statistics.median(self.app_ms)

    @property
    def reference_median_ms(self) -> float:
        return statistics.median(self.reference_ms)

    @property
    def one_time_filter_median_ms(self) -> float:
        return statistics.median(self.one_time_filter_ms)

    @property
    def ratio(self) -> float:
        """Rounded as printed, so the verdicts agree with the figure a reader sees."""
        return _ratio(self.app_median_ms, self.reference_median_ms)

    @property
    def one_time_filter_ratio(self) -> float:
        """What PostgreSQL charges for a run-time tenant check alone (no RLS, no verifier)."""
        return _ratio(self.one_time_filter_median_ms, self.reference_median_ms)

    @property
    def rls_over_one_time_filter(self) -> float:
        """What the policies and the verifier add on top of that check."""
        return _ratio(self.app_median_ms, self.one_time_filter_median_ms)

    @property
    def plans_match(self) -> bool:
        """Both forms read the same indexes and sequentially scan the same tables.

        The timing-free evidence: with the bound predicate the planner sees the tenant, so the
        app plan is the reference plan plus the policy's filter; without it, it may not be.
        """
        return (self.app_plan.indexes == self.reference_plan.indexes
                and self.app_plan.seq_scans == self.reference_plan.seq_scans)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "rows": self.rows, "runs": len(self.app_ms), "plans_match": self.plans_match,
            "app_median_ms": round(self.app_median_ms, 3), "reference_median_ms": round(self.reference_median_ms, 3),
            "ratio": self.ratio, "within_target": self.ratio <= TARGET_RATIO,
            "one_time_filter_median_ms": round(self.one_time_filter_median_ms, 3),
            "one_time_filter_ratio": self.one_time_filter_ratio,
            "rls_over_one_time_filter": self.rls_over_one_time_filter,
            "app_plan": asdict(self.app_plan), "reference_plan": asdict(self.reference_plan),
        }


def _ratio(value: float, reference: float) -> float:
    return round(value / reference, 3) if reference else float("inf")


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def evidence(explain_json: Any, tenant_indexes: set[str]) -> PlanEvidence:
    """Index names and sequential scans of an ``EXPLAIN (FORMAT JSON)`` document."""
    document = explain_json[0] if isinstance(explain_json, list) else explain_json
    used: list[str] = []
    seq: list[str] = []
    for node in plan_nodes(document["Plan"]):
        if "Index Name" in node and node["Index Name"] not in used:
            used.append(node["Index Name"])
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") not in seq:
            seq.append(node["Relation Name"])
    return PlanEvidence(sorted(used), sorted(i for i in used if i in tenant_indexes), sorted(seq))


def tenant_index_names(conn) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute(TENANT_INDEXES_SQL)
        return {row[0] for row in cursor.fetchall()}


def largest_tenant(conn) -> tuple[uuid.UUID, str, int] | None:
    with conn.cursor() as cursor:
        cursor.execute(LARGEST_TENANT_SQL)
        row = cursor.fetchone()
    return (uuid.UUID(str(row[0])), row[1], int(row[2])) if row else None


def app_text(query: MetricDefinition, explicit_filter: bool) -> str:
    """The app form's text: with the bound tenant predicate (what the runner sends) or without."""
    return query.sql("postgres", TENANT) if explicit_filter else query.sql("postgres")


def one_time_filter_text(query: MetricDefinition) -> str:
    """The reference text plus ``AND x.tenant_id = (SELECT %(tenant)s::uuid)`` on every tenant-table scan."""
    tables = tenant_tables()
    tree = add_tenant_filter(add_tenant_filter(query.tree, tables, TENANT), tables, RUNTIME_TENANT)
    return render(tree, "postgres")


def _time_app(query: MetricDefinition, tenant_id: uuid.UUID, explicit_filter: bool) -> tuple[float, int]:
    text = app_text(query, explicit_filter)
    with tenant_context(tenant_id), connections["default"].cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(text, {"tenant": str(tenant_id)} if explicit_filter else None)
        rows = cursor.fetchall()
        return (time.perf_counter() - start) * 1000, len(rows)


def _time_reference(conn, text: str, tenant_id: uuid.UUID) -> tuple[float, int]:
    with conn.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(text, {"tenant": str(tenant_id)})
        rows = cursor.fetchall()
        return (time.perf_counter() - start) * 1000, len(rows)


def _explain_app(query: MetricDefinition, tenant_id: uuid.UUID, explicit_filter: bool) -> Any:
    with tenant_context(tenant_id), connections["default"].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + app_text(query, explicit_filter),
                       {"tenant": str(tenant_id)} if explicit_filter else None)
        return cursor.fetchone()[0]


def _explain_reference(conn, query: MetricDefinition, tenant_id: uuid.UUID) -> Any:
    with conn.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + query.sql("postgres", TENANT), {"tenant": str(tenant_id)})
        return cursor.fetchone()[0]


def bench_metric(conn, query: MetricDefinition, tenant_id: uuid.UUID, *, repeat: int, warmup: int,
                 tenant_indexes: set[str], min_ms: float = 0.0, explicit_filter: bool = True) -> MetricBench:
    """Interleave the three forms (rotating which goes first) and keep every timing.

    At least ``repeat`` timed runs of each form, more (up to ``MAX_REPEAT``) until each
    form has ``min_ms`` of timed work.
    """
    texts = {"reference": query.sql("postgres", TENANT), "one_time_filter": one_time_filter_text(query)}
    timings: dict[str, list[float]] = {form: [] for form in FORMS}
    rows: dict[str, int] = {}
    i = 0
    while i < warmup + repeat or (min(sum(t) for t in timings.values()) < min_ms
                                  and len(timings["app"]) < MAX_REPEAT):
        for form in FORMS[i % 3:] + FORMS[:i % 3]:
            if form == "app":
                elapsed, rows[form] = _time_app(query, tenant_id, explicit_filter)
            else:
                elapsed, rows[form] = _time_reference(conn, texts[form], tenant_id)
            if i >= warmup:
                timings[form].append(elapsed)
        i += 1
    if len(set(rows.values())) != 1:
        raise AssertionError(f"{query.name}: the forms returned different row counts: {rows}")
    return MetricBench(
        name=query.name, rows=rows["app"], app_ms=timings["app"], reference_ms=timings["reference"],
        one_time_filter_ms=timings["one_time_filter"],
        app_plan=evidence(_explain_app(query, tenant_id, explicit_filter), tenant_indexes),
        reference_plan=evidence(_explain_reference(conn, query, tenant_id), tenant_indexes),
    )


def context_latency(tenant_id: uuid.UUID, *, runs: int = 300, warmup: int = 20) -> dict[str, Any]:
    """Entry plus exit of ``tenant_context`` (BEGIN, the tenant setting, COMMIT) with nothing inside.

    What every tenant-scoped request pays once; reported so a change of the context (e.g. a
    signed one) shows its cost next to the metrics' ratios.
    """
    timings: list[float] = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        with tenant_context(tenant_id):
            pass
        if i >= warmup:
            timings.append((time.perf_counter() - start) * 1e6)
    timings.sort()
    return {"runs": runs, "median_us": round(statistics.median(timings), 1),
            "p95_us": round(timings[min(len(timings) - 1, int(0.95 * len(timings)))], 1)}


def summarise(results: Sequence[MetricBench]) -> dict[str, Any]:
    ratios = [r.ratio for r in results]
    return {
        "target_ratio": TARGET_RATIO,
        "max_ratio": round(max(ratios), 3) if ratios else None,
        "median_ratio": round(statistics.median(ratios), 3) if ratios else None,
        "geomean_ratio": round(statistics.geometric_mean(ratios), 3) if ratios else None,
        "over_target": [r.name for r in results if r.ratio > TARGET_RATIO],
        "one_time_filter_max_ratio": round(max(r.one_time_filter_ratio for r in results), 3) if results else None,
        "one_time_filter_median_ratio": (round(statistics.median(r.one_time_filter_ratio for r in results), 3)
                                         if results else None),
        "over_target_without_rls": [r.name for r in results if r.one_time_filter_ratio > TARGET_RATIO],
        "rls_over_one_time_filter_max": (round(max(r.rls_over_one_time_filter for r in results), 3)
                                         if results else None),
        "plans_differ": [r.name for r in results if not r.plans_match],
        "app_total_ms": round(sum(r.app_median_ms for r in results), 2),
        "reference_total_ms": round(sum(r.reference_median_ms for r in results), 2),
    }
