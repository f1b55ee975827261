"""Land the source's current rows as DMS would (tests only; the real full load is ``dms_task``).

Read as the replication role with ``COPY … TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)``:
PostgreSQL's text output of every value, NULL as an empty unquoted field, which is the
landing contract's CSV.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.schema import TableSpec
from lakehouse.sql import ident, literal


def copy_rows(conn, spec: TableSpec, path: Path, *, op: str, change_seq: str, where: str = "TRUE") -> None:
    """Write the rows of ``spec`` matching ``where`` as one landing file (``Op`` = ``op``)."""
    cols = ", ".join(ident(c) for c in spec.column_names)
    query = (f"SELECT {literal(op)} AS \"Op\", to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
             f"AS commit_timestamp, {literal(change_seq)} AS change_seq, {cols} FROM {ident(spec.name)} "
             f"WHERE {where}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with conn.cursor() as cursor, open(path, "w", encoding="utf-8") as handle:
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true, FORCE_QUOTE *)", handle)


def full_load(conn, specs: list[TableSpec], root: Path) -> None:
    for spec in specs:
        copy_rows(conn, spec, root / spec.schema / spec.name / "LOAD00000001.csv", op="I", change_seq="")
