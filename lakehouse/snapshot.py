"""A full load by ``COPY … TO`` as the replication role: the reference the benchmark measures against.

Not the DMS task (``dms_task`` takes an exported-snapshot full load and follows the slot);
this writes the same LOAD files from one consistent read of each table, for the benchmark's
reference export and for tests that need a landing without a DMS task.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse import sql
from lakehouse.schema import TableSpec


def copy_rows(conn, spec: TableSpec, path: Path, *, op: str = "I", change_seq: str = "", where: str = "TRUE") -> None:
    """The rows of ``spec`` matching ``where`` as one landing CSV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with conn.cursor() as cursor, open(path, "w", encoding="utf-8") as handle:
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.copy_expert(sql.copy_out_sql(spec, op=op, change_seq=change_seq, where=where), handle)


def copy_full_load(conn, specs: list[TableSpec], root: Path) -> None:
    """``<root>/<schema>/<table>/LOAD00000001.csv`` for every table, in one repeatable-read snapshot."""
    was = conn.autocommit
    conn.autocommit = False
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for spec in specs:
            copy_rows(conn, spec, Path(root) / spec.schema / spec.name / "LOAD00000001.csv")
        conn.rollback()
    finally:
        conn.autocommit = was
