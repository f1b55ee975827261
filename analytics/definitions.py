"""The twenty metrics of docs/REQUIREMENTS.md and the report's chart series, each defined once.

A definition is a file ``analytics/metrics/<name>.sql`` (package data; one PostgreSQL
statement, no tenant filter, ``tenant_id`` first in every result) plus its entry in
``analytics/metrics/catalog.toml`` (title, group, kind, definition text, in page order).
Everything an engine runs is derived from it by :mod:`analytics.sqlgen`:

>>> m = metric_definitions()[0]
>>> m.sql("duckdb")                        # over Silver tables named like the source tables
>>> m.sql("athena")                        # what an analyst pastes into Athena
>>> m.sql("postgres", tenant_filter=TENANT)  # ... AND o.tenant_id = %(tenant)s on every scan

Why TOML plus one file per metric: the catalog is read with the standard library
(``tomllib``), the SQL stays plain SQL that editors highlight and sqlglot parses, and no
hand-written block format has to be maintained.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

from sqlglot import exp

from analytics.sqlgen import (
    DIALECTS,
    TENANT,
    MetricSQLError,
    add_tenant_filter,
    parse,
    render,
    row_counts_query,
    tenant_scans,
)
from rls.constraints import tenant_policy_of, tenant_scoped_models

#: Where the definitions live: shipped inside the package, so an installed wheel finds them.
METRICS_DIR = Path(str(files("analytics") / "metrics"))
CATALOG = METRICS_DIR / "catalog.toml"
KINDS = ("metric", "chart")


def tenant_tables() -> dict[str, str]:
    """Each tenant-scoped table and its tenant column, from the RLS registry (read at call time)."""

    return {model._meta.db_table: tenant_policy_of(model).column for model in tenant_scoped_models()}


def row_counts_sql(dialect: str = "postgres") -> str:
    """``table_name, tenant_id, row_count`` for every tenant table (source names), in ``dialect``."""
    return render(row_counts_query(tenant_tables()), dialect)


@dataclass(frozen=True)
class MetricDefinition:
    """One metric (or chart series): metadata plus the canonical PostgreSQL text."""

    name: str
    title: str
    group: str
    kind: str
    description: str
    source: str = field(repr=False)

    @cached_property
    def tree(self) -> exp.Expression:
        """The canonical statement as a sqlglot tree (parsed once)."""
        return parse(self.source, name=self.name)

    def tables(self) -> list[str]:
        """The tenant tables this metric reads, in order of first scan."""
        return list(dict.fromkeys(t.name for t in tenant_scans(self.tree, tenant_tables())))

    def sql(self, dialect: str = "postgres", tenant_filter: object = None, *, pretty: bool = True) -> str:
        """The text for ``dialect`` (postgres, duckdb, athena).

        ``tenant_filter``: ``None`` for every tenant's rows; a tenant id (uuid or str) for a
        literal ``alias.tenant_id = '<id>'`` on every tenant-table scan; :data:`TENANT` for a
        bound ``%(tenant)s`` parameter (PostgreSQL runners pass ``{"tenant": str(id)}``).
        """
        key = tenant_filter if tenant_filter is None or tenant_filter is TENANT else str(tenant_filter)
        return _rendered(self, dialect, key, pretty)


@lru_cache(maxsize=1024)
def _rendered(definition: MetricDefinition, dialect: str, tenant_filter: object, pretty: bool) -> str:
    """Rendering walks and copies the tree (milliseconds): each text is made once per process."""
    tree = definition.tree
    if tenant_filter is not None:
        tree = add_tenant_filter(tree, tenant_tables(), tenant_filter)
    return render(tree, dialect, pretty=pretty)


class CatalogError(ValueError):
    """The catalog or a metric file breaks the format (a bug in the package, reported with the name)."""


def _entry(raw: dict[str, object], directory: Path) -> MetricDefinition:
    name = str(raw.get("name", ""))
    missing = [k for k in ("name", "title", "group", "kind", "description") if not raw.get(k)]
    if missing:
        raise CatalogError(f"catalog entry {name or '?'}: missing {', '.join(missing)}")
    if raw["kind"] not in KINDS:
        raise CatalogError(f"{name}: kind must be one of {', '.join(KINDS)}")
    path = directory / f"{name}.sql"
    if not path.is_file():
        raise CatalogError(f"{name}: no file {path.name}")
    text = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
    if "%" in text:
        raise CatalogError(f"{name}: no literal percent sign (the filtered text uses pyformat parameters)")
    return MetricDefinition(name=name, title=str(raw["title"]), group=str(raw["group"]), kind=str(raw["kind"]),
                            description=str(raw["description"]), source=text)


@lru_cache(maxsize=4)
def _load(directory: str, mtime_ns: int) -> tuple[MetricDefinition, ...]:
    root = Path(directory)
    catalog = tomllib.loads((root / "catalog.toml").read_text(encoding="utf-8"))
    entries = [_entry(raw, root) for raw in catalog.get("metric", [])]
    names = [e.name for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"duplicate names in the catalog: {', '.join(duplicates)}")
    orphans = sorted({p.stem for p in root.glob("*.sql")} - set(names))
    if orphans:
        raise CatalogError(f"SQL files without a catalog entry: {', '.join(orphans)}")
    for entry in entries:
        try:
            entry.tree  # noqa: B018 - parse now, so a broken file fails at load, with its name
        except MetricSQLError as exc:
            raise CatalogError(str(exc)) from exc
    return tuple(entries)


def all_definitions(directory: Path | None = None) -> tuple[MetricDefinition, ...]:
    """Metrics and chart series, in catalog order (cached until the catalog changes)."""
    root = Path(directory or METRICS_DIR)
    mtime = max(p.stat().st_mtime_ns for p in (root / "catalog.toml", *root.glob("*.sql")))
    return _load(str(root), mtime)


def metric_definitions(directory: Path | None = None) -> list[MetricDefinition]:
    """The twenty metrics (``kind = "metric"``), in the plan's order."""
    return [d for d in all_definitions(directory) if d.kind == "metric"]


def chart_definitions(directory: Path | None = None) -> list[MetricDefinition]:
    """The extra series the report draws (``kind = "chart"``)."""
    return [d for d in all_definitions(directory) if d.kind == "chart"]


def load_queries(directory: Path | None = None) -> dict[str, MetricDefinition]:
    """Every definition by name (metrics and charts)."""
    return {d.name: d for d in all_definitions(directory)}


def metric_queries(directory: Path | None = None) -> dict[str, MetricDefinition]:
    return {d.name: d for d in metric_definitions(directory)}


def chart_queries(directory: Path | None = None) -> dict[str, MetricDefinition]:
    return {d.name: d for d in chart_definitions(directory)}


__all__ = [
    "CATALOG", "DIALECTS", "METRICS_DIR", "TENANT", "CatalogError", "MetricDefinition", "all_definitions",
    "chart_definitions", "chart_queries", "load_queries", "metric_definitions", "metric_queries",
    "row_counts_sql", "tenant_tables",
]
