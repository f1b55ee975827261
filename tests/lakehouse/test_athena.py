"""The Athena SQL printed for AWS parses as Athena SQL, for every table, and deduplicates before MERGE."""

from __future__ import annotations

import uuid

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from cdc.sink import OutRow
from lakehouse.athena import athena_type, bronze_ddl, merge_sql, silver_ddl
from lakehouse.build import build
from lakehouse.schema import spec_map, table_specs
from tests.lakehouse.landing_writer import cdc_name, seq, write_file
from tests.lakehouse.test_silver_property import TABLE, TENANT, _row


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s.name)
def test_statements_parse_as_athena(spec) -> None:
    statements = [bronze_ddl(spec, "s3://landing/dms"), bronze_ddl(spec, "s3://landing/dms", "csv"),
                  *silver_ddl(spec, "s3://lake/warehouse").split(";\n\n"), merge_sql(spec)]
    for statement in statements:
        assert sqlglot.parse_one(statement.rstrip(";"), read="athena") is not None


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s.name)
def test_merge_deduplicates_and_applies_only_newer_changes(spec) -> None:
    merge = sqlglot.parse_one(merge_sql(spec).rstrip(";"), read="athena")
    assert isinstance(merge, exp.Merge)
    windows = list(merge.find_all(exp.Window))
    assert len(windows) == 1 and isinstance(windows[0].this, exp.RowNumber)
    assert [p.name for p in windows[0].args["partition_by"]] == [spec.key]
    text = merge.sql(dialect="athena")
    assert "rn = 1" in text and "s.seq > t._change_seq" in text
    # Every column is written on update (except the key) and on insert, with the bookkeeping columns.
    for column in spec.column_names:
        assert f"{column} =" in text or column == spec.key
    assert "_deleted" in text


def test_athena_merge_gives_the_same_state_as_the_local_silver(tmp_path) -> None:
    """The printed MERGE, transpiled to DuckDB (sqlglot), run twice with the watermark, equals lake_build's Silver."""
    spec = spec_map()[TABLE]
    k1, k2, k3 = (str(uuid.uuid4()) for _ in range(3))
    first = [OutRow("I", "", seq(1), _row(k1, "one", "d1", 100, True, 1)),
             OutRow("I", "", seq(2), _row(k2, "two", None, 200, False, 1)),
             OutRow("U", "", seq(3), _row(k1, "one-b", "d1b", 150, True, 2)),
             OutRow("D", "", seq(4), {"tenant_id": TENANT, "id": k2}),
             OutRow("I", "", seq(5), _row(k2, "two-again", "x", 250, True, 3)),
             OutRow("I", "", seq(6), _row(k3, "three", "long text", 300, True, 4))]
    second = [OutRow("U", "", seq(7), {**_row(k3, "three-b", None, 350, False, 5),
                                        "description": "unchanged-toast-datum"}),
              OutRow("D", "", seq(8), {"tenant_id": TENANT, "id": k1}),
              *first[:3]]  # a replay of older changes
    land = tmp_path / "l"
    write_file(land, TABLE, cdc_name(1), spec.column_names, first)
    write_file(land, TABLE, cdc_name(2), spec.column_names, second)
    build(str(land), tmp_path / "w", with_iceberg=False, with_gold=False, specs=[spec])
    lake = duckdb.connect(str(tmp_path / "w" / "lake.duckdb"), read_only=True)
    expected = lake.execute(f'SELECT CAST(id AS VARCHAR), name, description, CAST(price AS VARCHAR), is_active, '
                            f'epoch_ms(updated_at) FROM silver."{TABLE}" ORDER BY 1').fetchall()
    lake.close()

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; CREATE SCHEMA bronze; CREATE SCHEMA silver")
    cols = ", ".join(f"{c.name} {athena_type(c)}" for c in spec.columns)
    con.execute(sqlglot.transpile(f"CREATE TABLE silver.{TABLE}_state ({cols}, _change_seq string, _op string, "
                                  "_deleted boolean)", read="athena", write="duckdb")[0])
    raw = ", ".join(f'"{c}" VARCHAR' for c in ("Op", "commit_timestamp", "change_seq", *spec.column_names, "$path"))
    con.execute(f"CREATE TABLE bronze.{TABLE} ({raw})")
    merge = sqlglot.transpile(merge_sql(spec).rstrip(";"), read="athena", write="duckdb")[0]
    watermark = ""
    for index, rows in enumerate((first, second)):
        for row in rows:
            values = [row.op, row.commit_timestamp, row.change_seq, *(row.values.get(c) for c in spec.column_names),
                      f"file-{index}"]
            con.execute(f"INSERT INTO bronze.{TABLE} VALUES ({', '.join('?' * len(values))})", values)
        con.execute(merge, [watermark])
        watermark = con.execute(f"SELECT max(_change_seq) FROM silver.{TABLE}_state").fetchall()[0][0]
    got = con.execute(f"SELECT id, name, description, CAST(price AS VARCHAR), is_active, epoch_ms(updated_at) "
                      f"FROM silver.{TABLE}_state WHERE NOT _deleted ORDER BY 1").fetchall()
    assert got == expected and [r[0] for r in got] == sorted([k2, k3])
    assert dict((r[0], r[2]) for r in got)[k3] == "long text"  # the TOAST token kept the old value
