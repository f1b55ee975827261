"""The pasteable text of the metrics for one engine: ``metrics --sql`` and ``scripts/generate_sample_queries.sql``.

One function renders it, so the file in the repository and the command's output are the
same bytes (tests/analytics/test_sample_sql.py regenerates the file and compares).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from analytics.definitions import MetricDefinition
from analytics.sqlgen import DIALECTS

#: The generated file of sample Athena queries (the plan's "sample Athena queries to validate Gold").
SAMPLE_FILE = Path(__file__).resolve().parents[1] / "scripts" / "generate_sample_queries.sql"

ENGINES = {
    "postgres": "PostgreSQL (as the replication role: every tenant; as the app role inside tenant_context: one)",
    "duckdb": "DuckDB, over tables or views named like the source tables (the lake's Silver layer)",
    "athena": "Amazon Athena (Trino), over the Silver tables of the Glue catalog, named like the source tables",
}


def header(dialect: str) -> str:
    return "\n".join([
        f"-- The analytics metrics of the seed plan (section 9), {ENGINES[dialect]}.",
        "-- GENERATED from analytics/metrics/ (one definition per metric) by",
        f"--   python manage.py metrics --sql --dialect {dialect} --out <file>",
        "-- Do not edit: change the definition and regenerate. Each query returns every tenant's rows,",
        "-- tenant_id first; `metrics --sql --tenant SLUG` prints them filtered to one tenant.",
    ])


def render_definition(definition: MetricDefinition, dialect: str, tenant_filter: object = None) -> str:
    description = textwrap.wrap(definition.description, width=100)
    lines = [f"-- {definition.name}: {definition.title} [{definition.group}]", *(f"--   {d}" for d in description)]
    return "\n".join(lines) + "\n" + definition.sql(dialect, tenant_filter) + ";\n"


def render_all(definitions: Sequence[MetricDefinition], dialect: str, tenant_filter: object = None) -> str:
    """Every definition's text for ``dialect``, with a header saying where it comes from."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    body = "\n".join(render_definition(d, dialect, tenant_filter) for d in definitions)
    return header(dialect) + "\n\n" + body
