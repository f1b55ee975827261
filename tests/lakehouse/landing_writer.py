"""Write landing files by the DMS contract, for pure-lake tests (no database, no DMS task).

CSV goes through ``cdc.sink.format_csv`` (the production CSV format: header, NULL empty and
unquoted, values quoted); Parquet is all-string columns, as the local DMS task writes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cdc.sink import META_COLUMNS, OutRow, format_csv

SEQ_WIDTH = 35


def seq(n: int) -> str:
    return str(n).zfill(SEQ_WIDTH)


def cdc_name(index: int) -> str:
    """Distinct, sortable DMS CDC names (yyyymmdd-hhmmssSSSS)."""
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=index)
    return moment.strftime("%Y%m%d-%H%M%S") + f"{moment.microsecond // 100:04d}"


def write_file(root: Path, table: str, name: str, columns: Sequence[str], rows: Sequence[OutRow],
               fmt: str = "csv", schema: str = "public") -> Path:
    folder = Path(root) / schema / table
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        path.write_text(format_csv(columns, rows), encoding="utf-8")
    else:
        data = {
            META_COLUMNS[0]: [r.op for r in rows],
            META_COLUMNS[1]: [r.commit_timestamp for r in rows],
            META_COLUMNS[2]: [r.change_seq for r in rows],
            **{c: [r.values.get(c) for r in rows] for c in columns},
        }
        pq.write_table(pa.table({k: pa.array(v, pa.string()) for k, v in data.items()}), path)
    return path
