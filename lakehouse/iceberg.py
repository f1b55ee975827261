"""Silver as Apache Iceberg tables: the layout Athena, Glue, Spark and Trino read.

pyiceberg with a SQL catalog (``catalog.db``, SQLite, in the warehouse) and the data under
``<warehouse>/iceberg``. On AWS the same tables live in the Glue catalog and S3; only the
catalog properties change (``GlueCatalog``, an ``s3://`` warehouse), see docs/LAKEHOUSE.md.

A table whose batch only inserted new keys gets an append (one new data file and snapshot);
a batch that replaced or deleted rows rewrites the table with an overwrite snapshot (the
copy-on-write that Athena's ``MERGE INTO`` does too). UUIDs are exported as strings: Athena's
Iceberg support has no UUID type.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import duckdb
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError

from lakehouse import sql
from lakehouse.schema import TableSpec

logger = logging.getLogger(__name__)
NAMESPACE = "silver"
CATALOG_FILE = "catalog.db"


def catalog(warehouse: Path) -> SqlCatalog:
    warehouse = Path(warehouse).resolve()
    (warehouse / "iceberg").mkdir(parents=True, exist_ok=True)
    cat = SqlCatalog("lake", uri=f"sqlite:///{warehouse / CATALOG_FILE}",
                     warehouse=(warehouse / "iceberg").as_uri())
    with contextlib.suppress(NamespaceAlreadyExistsError):
        cat.create_namespace(NAMESPACE)
    return cat


def _arrow(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    return con.sql(query).to_arrow_table()


def export(con: duckdb.DuckDBPyConnection, cat: SqlCatalog, spec: TableSpec, *, appended_only: bool) -> int:
    """Bring the Iceberg table of ``spec`` up to Silver; returns the rows written."""
    identifier = f"{NAMESPACE}.{spec.name}"
    try:
        table = cat.load_table(identifier)
        fresh = False
    except NoSuchTableError:
        table = None
        fresh = True
    if fresh or not appended_only:
        data = _arrow(con, sql.export_sql(spec, only_winners=False))
        if table is None:
            cat.create_table(identifier, schema=data.schema).append(data)
        else:
            table.overwrite(data)
        return data.num_rows
    data = _arrow(con, sql.export_sql(spec, only_winners=True))
    if data.num_rows:
        table.append(data)
    return data.num_rows


def read(warehouse: Path, table: str) -> pa.Table:
    """An Iceberg table as Arrow (what an external engine would scan)."""
    return catalog(warehouse).load_table(f"{NAMESPACE}.{table}").scan().to_arrow()
