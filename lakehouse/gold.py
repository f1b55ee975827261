"""Gold: the twenty metrics of the plan, materialised over Silver from their one definition.

The DuckDB text of each metric comes from ``analytics.metric_definitions()`` (written once,
transpiled per engine); nothing here restates a metric. Each runs over the Silver views
(the source table names, in the ``silver`` schema) and lands as ``gold.<metric>``, in the
order the definition sorts it.
"""

from __future__ import annotations

import logging
import uuid

import duckdb

from analytics import MetricRun, Result, metric_definitions
from lakehouse import sql

logger = logging.getLogger(__name__)


def _on_silver(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET search_path = '{sql.SILVER_SCHEMA}'")


def build_gold(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)materialise every metric; returns the metric names."""
    _on_silver(con)
    names = []
    for definition in metric_definitions():
        text = definition.sql("duckdb", pretty=False)
        con.execute(sql.gold_create_sql(definition.name, text))
        names.append(definition.name)
    con.execute("RESET search_path")
    logger.info("gold: %s metrics", len(names))
    return names


def read_gold(con: duckdb.DuckDBPyConnection, tenant_ids: list[uuid.UUID]) -> list[MetricRun]:
    """The materialised metrics as runs keyed by tenant (the shape of ``analytics.collect``)."""
    runs = []
    for definition in metric_definitions():
        cursor = con.execute(sql.gold_select_sql(definition.name))
        columns = [c[0] for c in cursor.description]
        rows = [(_uuid(r[0]), *r[1:]) for r in cursor.fetchall()]
        result = Result(columns, rows)
        runs.append(MetricRun(definition, columns, {t: result.for_tenant(t) for t in tenant_ids}))
    return runs


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
