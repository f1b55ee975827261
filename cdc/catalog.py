"""The selected tables' columns and types, read once from the catalog by the replication role.

Both halves of a task use it: the full load selects these columns, the CDC sink writes
them in this order, so every file of a table has the same columns. A column whose name
is one of the landing's meta columns (``Op``, the timestamp, the change sequence; compared
case-insensitively, as Athena compares names) would be ambiguous in every file: refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from cdc.arrowtypes import TableSchema
from cdc.landing import META_COLUMNS, LandingError, table_key
from cdc.sql import CATALOG_SQL

RESERVED = {name.lower() for name in META_COLUMNS}


def load_catalog(conn, tables: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TableSchema]:
    wanted = sorted(set(tables))
    for schema, table in wanted:
        table_key(schema, table)
    found: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    with conn.cursor() as cursor:
        cursor.execute(CATALOG_SQL, [[s for s, _ in wanted], [t for _, t in wanted]])
        for schema, table, column, kind in cursor.fetchall():
            names, kinds = found.setdefault((schema, table), ([], []))
            names.append(column)
            kinds.append(kind)
    missing = [f"{s}.{t}" for s, t in wanted if (s, t) not in found]
    if missing:
        raise LandingError(f"Selected table(s) not found or not readable: {', '.join(missing)}.")
    catalog = {}
    for (schema, table), (names, kinds) in found.items():
        clash = [n for n in names if n.lower() in RESERVED]
        if clash:
            raise LandingError(
                f"{schema}.{table} has column(s) {', '.join(clash)} named like the landing's meta columns "
                f"({', '.join(META_COLUMNS)}); rename them or change the meta column names.")
        catalog[(schema, table)] = TableSchema(schema, table, tuple(names), tuple(kinds))
    return catalog
