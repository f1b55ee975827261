"""The Athena SQL printed for AWS parses as Athena SQL, for every table, and deduplicates before MERGE."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from lakehouse.athena import bronze_ddl, merge_sql, silver_ddl
from lakehouse.schema import table_specs


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
