"""Compare one metric's rows from two engines: exact for counts and decimal sums, fixed scale for ratios.

The rule, value by value (``expected`` is usually PostgreSQL, ``actual`` DuckDB or the lake):

* integers, decimal sums, dates, text, booleans, ``NULL``: equal, exactly (``1 == Decimal("1.00")``);
* a value that is a float on either side (DuckDB returns ``round(decimal / n, 4)`` as a
  double where PostgreSQL keeps ``numeric``): equal when they differ by at most one unit of
  the scale the definition rounded to (the expected decimal's own scale, else ``scale``).
  One unit, not half: ``round`` of a double and of the exact decimal may fall on either side
  of a tie.

Rows are compared in order (every definition orders its result completely).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from analytics.collect import MetricRun, collect
from analytics.definitions import MetricDefinition, metric_definitions
from analytics.duck import run_duckdb
from analytics.runner import Result, list_tenants

DEFAULT_SCALE = 4


@dataclass
class Mismatch:
    """Where two results differ (``row`` and ``column`` are None for a row-count difference)."""

    metric: str
    tenant_id: uuid.UUID | None
    detail: str
    row: int | None = None
    column: str | None = None
    expected: Any = None
    actual: Any = None

    def __str__(self) -> str:
        where = f"{self.metric}" + (f" tenant {self.tenant_id}" if self.tenant_id else "")
        if self.column is not None:
            where += f" row {self.row} column {self.column}"
        return f"{where}: {self.detail}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def values_equal(expected: Any, actual: Any, *, scale: int = DEFAULT_SCALE) -> bool:
    """The rule of this module for one pair of values."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if _is_number(expected) and _is_number(actual):
        if isinstance(expected, float) or isinstance(actual, float):
            places = scale
            for value in (expected, actual):
                if isinstance(value, Decimal) and value.is_finite():
                    places = max(0, -int(value.as_tuple().exponent))
                    break
            return abs(Decimal(str(expected)) - Decimal(str(actual))) <= Decimal(1).scaleb(-places)
        return Decimal(expected) == Decimal(actual)
    if isinstance(expected, uuid.UUID) or isinstance(actual, uuid.UUID):
        return str(expected) == str(actual)
    return expected == actual


def compare_results(name: str, expected: Result, actual: Result, *, tenant_id: uuid.UUID | None = None,
                    scale: int = DEFAULT_SCALE) -> list[Mismatch]:
    """Every difference between two results of one metric (empty: equal)."""
    if list(expected.columns) != list(actual.columns):
        return [Mismatch(name, tenant_id, f"columns differ: {expected.columns} != {actual.columns}")]
    if len(expected.rows) != len(actual.rows):
        return [Mismatch(name, tenant_id, f"{len(expected.rows)} rows expected, {len(actual.rows)} found")]
    found = []
    for i, (left, right) in enumerate(zip(expected.rows, actual.rows, strict=True)):
        for column, a, b in zip(expected.columns, left, right, strict=True):
            if not values_equal(a, b, scale=scale):
                found.append(Mismatch(name, tenant_id, f"{a!r} != {b!r}", i, column, a, b))
    return found


def compare_runs(expected: Sequence[MetricRun], actual: Sequence[MetricRun], *,
                 scale: int = DEFAULT_SCALE) -> list[Mismatch]:
    """Compare two runs of the same metrics, tenant by tenant (a missing metric or tenant is a difference)."""
    by_name = {run.query.name: run for run in actual}
    found: list[Mismatch] = []
    for run in expected:
        other = by_name.get(run.query.name)
        if other is None:
            found.append(Mismatch(run.query.name, None, "metric missing"))
            continue
        for tenant_id, result in run.by_tenant.items():
            if tenant_id not in other.by_tenant:
                found.append(Mismatch(run.query.name, tenant_id, "tenant missing"))
                continue
            found += compare_results(run.query.name, result, other.by_tenant[tenant_id], tenant_id=tenant_id,
                                     scale=scale)
        for tenant_id in other.by_tenant.keys() - run.by_tenant.keys():
            if other.by_tenant[tenant_id].rows:
                found.append(Mismatch(run.query.name, tenant_id, "unexpected tenant"))
    return found


def compare_with_source(con, conn, definitions: Sequence[MetricDefinition] | None = None, *,
                        scale: int = DEFAULT_SCALE) -> list[Mismatch]:
    """Every metric in DuckDB (``con``, source-named tables) against PostgreSQL as the replication role (``conn``).

    What ``lake_verify`` needs in one call. Tenants are keyed by the source's list plus any
    other tenant the lake's rows carry, so a tenant the lake lacks, or one it invented, is a
    difference too.
    """
    definitions = list(metric_definitions() if definitions is None else definitions)
    tenants = list_tenants(conn)
    expected = collect(definitions, tenants, role="replication", conn=conn)
    results = [(d, run_duckdb(con, d)) for d in definitions]
    keys = {t.id for t in tenants} | {row[0] for _, result in results for row in result.rows}
    actual = [MetricRun(d, r.columns, {t: r.for_tenant(t) for t in keys}) for d, r in results]
    return compare_runs(expected, actual, scale=scale)
