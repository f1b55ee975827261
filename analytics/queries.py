"""Load the named analytics queries of ``analytics/sql/queries.sql`` (package data).

The SQL file is the single source: people read and paste it, the ``metrics`` and ``report``
commands run it, the benchmark templates it. So the queries live there rather than in
Python strings, and this module only parses the ``-- name:`` blocks.

The one transformation allowed is :meth:`Query.filtered_sql`: the inert ``/*@tenant x*/``
markers become ``AND x.tenant_id = %(tenant)s``, which lets the replication role run the
same query restricted to one tenant the way a hand-written filter would (in the base
tables, where indexes can serve it), for the RLS-tax comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

#: Where the queries live: shipped inside the package, so an installed wheel finds them.
QUERIES_FILE = Path(str(files("analytics") / "sql" / "queries.sql"))

TENANT_MARKER = re.compile(r"/\*@tenant\s+([A-Za-z_][A-Za-z0-9_]*)\s*\*/")
_META = re.compile(r"^--\s*(name|title|group|kind|description):\s*(.*?)\s*$")
KINDS = ("metric", "chart")


@dataclass(frozen=True)
class Query:
    """One named block of the SQL file."""

    name: str
    title: str
    group: str
    kind: str
    description: str
    sql: str

    @property
    def tenant_aliases(self) -> tuple[str, ...]:
        """The table aliases carrying a tenant marker, in order of appearance."""
        return tuple(TENANT_MARKER.findall(self.sql))

    def filtered_sql(self) -> str:
        """The same query with an explicit ``tenant_id = %(tenant)s`` on every marked scan."""
        return TENANT_MARKER.sub(lambda m: f"AND {m.group(1)}.tenant_id = %(tenant)s", self.sql)


class QueryFileError(ValueError):
    """The SQL file breaks the block format (a bug in the file, reported with its line)."""


def parse_queries(text: str, source: str = "<sql>") -> dict[str, Query]:
    """Parse ``-- name:`` blocks; comment lines between blocks (section banners) are dropped."""
    blocks: list[tuple[int, dict[str, str], list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        meta = _META.match(line)
        if meta and meta.group(1) == "name":
            blocks.append((lineno, {"name": meta.group(2)}, []))
        elif not blocks:
            continue  # the file's header comment
        elif meta and not blocks[-1][2]:
            blocks[-1][1][meta.group(1)] = meta.group(2)
        else:
            blocks[-1][2].append(line)

    queries: dict[str, Query] = {}
    for lineno, meta, body in blocks:
        while body and (not body[-1].strip() or body[-1].lstrip().startswith("--")):
            body.pop()
        sql = "\n".join(body).strip().rstrip(";").strip()
        name = meta["name"]
        where = f"{source}:{lineno} ({name})"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise QueryFileError(f"{where}: query names are lower_snake_case")
        if name in queries:
            raise QueryFileError(f"{where}: duplicate query name")
        if not sql:
            raise QueryFileError(f"{where}: no SQL after the header")
        if ";" in sql:
            raise QueryFileError(f"{where}: one statement per block")
        if "%" in sql:
            raise QueryFileError(
                f"{where}: no literal percent sign '%' (the filtered variant uses pyformat parameters)"
            )
        kind = meta.get("kind", "metric")
        if kind not in KINDS:
            raise QueryFileError(f"{where}: kind must be one of {', '.join(KINDS)}")
        queries[name] = Query(
            name=name, title=meta.get("title", name), group=meta.get("group", ""), kind=kind,
            description=meta.get("description", ""), sql=sql,
        )
    return queries


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict[str, Query]:
    return parse_queries(Path(path).read_text(encoding="utf-8"), source=Path(path).name)


def load_queries(path: Path | None = None) -> dict[str, Query]:
    """Every query of the file by name, in file order (cached until the file changes)."""
    target = Path(path or QUERIES_FILE)
    return _load(str(target), target.stat().st_mtime_ns)


def metric_queries(path: Path | None = None) -> dict[str, Query]:
    """The §9 metrics only (``kind: metric``), in file order."""
    return {name: q for name, q in load_queries(path).items() if q.kind == "metric"}


def chart_queries(path: Path | None = None) -> dict[str, Query]:
    """The extra series the report draws (``kind: chart``)."""
    return {name: q for name, q in load_queries(path).items() if q.kind == "chart"}
