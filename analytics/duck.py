"""Run the metric definitions in DuckDB, in the same shape as the PostgreSQL runners.

The caller (the lake's Gold step, or a test) hands over a DuckDB connection in which the
source tables exist under their source names and columns (``models_app_order``,
``tenancy_tenant``, ... as tables or views over Silver). Each definition runs once as its
DuckDB text over all tenants and the rows are split by ``tenant_id``, exactly as
``collect(role="replication")`` does with PostgreSQL: the two results compare row for row
(:mod:`analytics.compare`).

The session time zone is set to UTC first: DuckDB's ``date_trunc`` on ``TIMESTAMPTZ``
cuts in the session zone, and the definitions cut days and months in UTC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from analytics.collect import MetricRun
from analytics.definitions import MetricDefinition, metric_definitions
from analytics.runner import Result, normalise_rows


def run_duckdb(con, definition: MetricDefinition, *, tenant_id: uuid.UUID | str | None = None) -> Result:
    """One definition in DuckDB over every tenant (or one, through the literal tenant filter)."""
    con.execute("SET TimeZone = 'UTC'")
    cursor = con.execute(definition.sql("duckdb", tenant_id, pretty=False))
    columns = [c[0] for c in cursor.description]
    return Result(columns, normalise_rows(cursor.fetchall()))


def collect_duckdb(con, definitions: Sequence[MetricDefinition] | None = None,
                   tenant_ids: Iterable[uuid.UUID] | None = None) -> list[MetricRun]:
    """Every definition (default: the twenty metrics), rows split per tenant.

    ``tenant_ids``: the tenants to key the result by (default: every tenant that appears in
    any result). A tenant with no rows gets an empty :class:`Result`, as in PostgreSQL.
    """
    definitions = list(metric_definitions() if definitions is None else definitions)
    results = [(d, run_duckdb(con, d)) for d in definitions]
    if tenant_ids is None:
        wanted = sorted({row[0] for _, r in results for row in r.rows}, key=str)
    else:
        wanted = [t if isinstance(t, uuid.UUID) else uuid.UUID(str(t)) for t in tenant_ids]
    return [MetricRun(d, r.columns, {t: r.for_tenant(t) for t in wanted}) for d, r in results]
