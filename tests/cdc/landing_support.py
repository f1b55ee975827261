"""Test helpers: replay a landing zone into the state it claims, and read the source the same way.

The replay is the simplest correct consumer of the contract in :mod:`cdc.landing`: every
row of every file, ordered by change sequence (full load first by construction), applied
per replica-identity key. The source is read as the replication role, every column as its
text (booleans through ``::text``, as the task writes them), so a CSV landing must equal it
exactly.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from psycopg2 import extensions, sql

from cdc.landing import CHANGE_SEQ_COLUMN, OP_COLUMN, TIMESTAMP_COLUMN, Store, landing_files, read_landing_file
from cdc.mapping import table_filter
from project.database import connect

Key = tuple[str, ...]


def key_of(row: dict[str, Any]) -> Key:
    return (str(row["tenant_id"]), str(row["id"])) if "tenant_id" in row else (str(row["id"]),)


def landed_rows(store: Store) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(schema.table, kind, file name, row) for every landed row."""
    out = []
    for landed in landing_files(store):
        for row in read_landing_file(store, landed.key).to_pylist():
            out.append((f"{landed.schema}.{landed.table}", landed.kind, landed.name, row))
    return out


def replay(store: Store) -> tuple[dict[str, dict[Key, dict[str, Any]]], Counter[tuple[str, Key]]]:
    """The final state per table, and how many ``I`` rows each key received."""
    state: dict[str, dict[Key, dict[str, Any]]] = {f"{s}.{t}": {} for s, t in table_filter()}
    inserts: Counter[tuple[str, Key]] = Counter()
    rows = landed_rows(store)
    rows.sort(key=lambda r: r[3][CHANGE_SEQ_COLUMN])  # stable: full-load rows share one sequence
    for table, _kind, _name, row in rows:
        op = row[OP_COLUMN]
        values = {k: v for k, v in row.items() if k not in (OP_COLUMN, TIMESTAMP_COLUMN, CHANGE_SEQ_COLUMN)}
        key = key_of(values)
        if op == "D":
            state[table].pop(key, None)
        else:
            if op == "I":
                inserts[(table, key)] += 1
            state[table][key] = values
    return state, inserts


def source_state(dbname: str) -> dict[str, dict[Key, dict[str, Any]]]:
    """Every selected table as the replication role sees it, values as text."""
    conn = connect("replication", dbname=dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET TimeZone = 'UTC'")
            out: dict[str, dict[Key, dict[str, Any]]] = {}
            for schema, table in sorted(table_filter()):
                cursor.execute(sql.SQL("SELECT * FROM {}.{} LIMIT 0").format(sql.Identifier(schema),
                                                                              sql.Identifier(table)))
                names = [d.name for d in cursor.description]
                # Every value as its type's output text (what COPY and test_decoding print), booleans as
                # true/false: a caster that keeps the server's text for each column type.
                as_text = extensions.new_type(tuple({d.type_code for d in cursor.description}), "AS_TEXT",
                                              lambda value, _cursor: value)
                extensions.register_type(as_text, cursor)
                cursor.execute(sql.SQL("SELECT {} FROM {}.{}").format(
                    sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(n)) if d.type_code == 16
                                       else sql.Identifier(n) for n, d in zip(names, cursor.description,
                                                                              strict=True)),
                    sql.Identifier(schema), sql.Identifier(table)))
                rows = [dict(zip(names, record, strict=True)) for record in cursor.fetchall()]
                out[f"{schema}.{table}"] = {key_of(r): r for r in rows}
        return out
    finally:
        conn.close()


def differences(landed: dict[str, dict[Key, dict[str, Any]]], source: dict[str, dict[Key, dict[str, Any]]],
                compare_values: bool = True) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for table in sorted(source):
        got, want = landed.get(table, {}), source[table]
        missing = set(want) - set(got)
        extra = set(got) - set(want)
        changed = [k for k in set(want) & set(got) if compare_values and got[k] != want[k]]
        if missing or extra or changed:
            diff[table] = {"missing": len(missing), "extra": len(extra), "changed": len(changed),
                           "example": (want[changed[0]], got[changed[0]]) if changed else None}
    return diff
