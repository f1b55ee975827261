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
    try:
        cat.create_namespace(NAMESPACE)
    except NamespaceAlreadyExistsError:
        pass
    return cat


def _select(spec: TableSpec, where: str = "") -> str:
    cols = ", ".join(
        f"CAST({sql.ident(c.name)} AS VARCHAR) AS {sql.ident(c.name)}" if c.kind == "uuid" else sql.ident(c.name)
        for c in spec.columns
    )
    return f"SELECT {cols} FROM {sql.SILVER_SCHEMA}.{sql.ident(spec.name)} {where}"


def _arrow(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    return con.execute(query).to_arrow_table()


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
        data = _arrow(con, _select(spec))
        if table is None:
            table = cat.create_table(identifier, schema=data.schema)
        table.overwrite(data)
        return data.num_rows
    data = _arrow(con, _select(spec, f"WHERE {sql.ident(spec.key)} IN (SELECT CAST({sql.ident(spec.key)} AS "
                                     f"{spec.column(spec.key).duckdb_type}) FROM winners)"))
    if data.num_rows:
        table.append(data)
    return data.num_rows


def read(warehouse: Path, table: str) -> pa.Table:
    """An Iceberg table as Arrow (what an external engine would scan)."""
    return catalog(warehouse).load_table(f"{NAMESPACE}.{table}").scan().to_arrow()
