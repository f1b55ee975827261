"""Every SQL statement the DMS task issues, in one place for a reviewer.

Identifiers are composed with ``psycopg2.sql`` (never string formatting); the replication
protocol command takes a slot name that :func:`cdc.slots.validate_slot_name` has checked,
since walsender commands have no parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2 import sql

#: Columns of the selected tables in catalog (model) order, with their full type (typmod included).
CATALOG_SQL = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum
"""

#: One slot's state; ``wal_status = 'lost'`` means its WAL is gone (PostgreSQL 13+).
SLOT_STATUS_SQL = """
SELECT wal_status, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s
"""

#: Estimated rows per table for progress display (the planner's count, no scan).
ESTIMATE_SQL = "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass"

#: The full-load transaction: the exported snapshot of the slot, read-only, RLS refused rather than applied.
SESSION_SQL = ("SET TimeZone = 'UTC'", "SET row_security = off")
BEGIN_SNAPSHOT_SQL = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
SET_SNAPSHOT_SQL = "SET TRANSACTION SNAPSHOT %s"


def create_slot_command(slot: str) -> str:
    """``CREATE_REPLICATION_SLOT`` with an exported snapshot (PostgreSQL 15+ option syntax)."""
    return f"CREATE_REPLICATION_SLOT {slot} LOGICAL test_decoding (SNAPSHOT 'export')"


def copy_table(schema: str, table: str, columns: Sequence[str], pg_types: Sequence[str]) -> sql.Composed:
    """``COPY (SELECT …) TO STDOUT (FORMAT csv)`` in the text test_decoding prints.

    Booleans go through ``::text`` (``true``/``false`` as test_decoding prints them, not COPY's
    ``t``/``f``), so CSV files of the full load and of CDC spell values identically.
    """
    items = []
    for name, kind in zip(columns, pg_types, strict=True):
        ident = sql.Identifier(name)
        items.append(sql.SQL("{}::text AS {}").format(ident, ident) if kind == "boolean" else ident)
    select = sql.SQL("SELECT {} FROM {}.{}").format(sql.SQL(", ").join(items), sql.Identifier(schema),
                                                   sql.Identifier(table))
    return sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(select)


def copy_table_csv(schema: str, table: str, columns: Sequence[str], pg_types: Sequence[str], *, op: str,
                   stamp: str, seq: str) -> sql.Composed:
    """The CSV full load in one COPY: meta columns as literals, every non-NULL value quoted, NULL empty.

    ``FORCE_QUOTE *`` is exactly the landing's CSV convention (``CsvNullValue`` = empty unquoted
    field, ``""`` the empty string), so PostgreSQL's output is written to the LOAD file as it comes.
    """
    items = [sql.SQL("{} AS {}").format(sql.Literal(value), sql.Identifier(name))
             for name, value in zip(("Op", "ts", "seq"), (op, stamp, seq), strict=True)]
    for name, kind in zip(columns, pg_types, strict=True):
        ident = sql.Identifier(name)
        items.append(sql.SQL("{}::text AS {}").format(ident, ident) if kind == "boolean" else ident)
    select = sql.SQL("SELECT {} FROM {}.{}").format(sql.SQL(", ").join(items), sql.Identifier(schema),
                                                   sql.Identifier(table))
    return sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)").format(select)


def raw_copy_table(schema: str, table: str) -> sql.Composed:
    """The benchmark's reference: a plain ``COPY table TO STDOUT (FORMAT csv)``."""
    return sql.SQL("COPY {}.{} TO STDOUT (FORMAT csv)").format(sql.Identifier(schema), sql.Identifier(table))
