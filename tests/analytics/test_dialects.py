"""The dialect traps between PostgreSQL, DuckDB and Athena (Trino), each shown and repaired.

DuckDB is run for real; Athena cannot be, so its text is checked on the syntax tree, and the
exact-percentile form written for it is transpiled to DuckDB and run against PostgreSQL's
``percentile_cont``.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from analytics.definitions import all_definitions, load_queries
from analytics.sqlgen import parse, render


def duck_one(text: str) -> tuple:
    """The first row of ``text`` run in a fresh in-memory DuckDB."""
    return duckdb.connect(":memory:").execute(text).fetchone()


def athena(name: str) -> exp.Expression:
    return sqlglot.parse_one(load_queries()[name].sql("athena"), read="trino")


ALL = [d.name for d in all_definitions()]


def test_integer_division_truncates_in_duckdb_as_in_postgres(replication_conn) -> None:
    tree = parse("SELECT 7 / 2 AS q, 7 / 2.0 AS r, CAST(7 AS bigint) / CAST(2 AS integer) AS s")
    assert sqlglot.transpile("SELECT 7 / 2", read="postgres", write="duckdb")[0] == "SELECT 7 / 2", \
        "sqlglot alone leaves the trap: DuckDB's / on integers is float division"
    assert duck_one("SELECT 7 / 2")[0] == 3.5
    with replication_conn.cursor() as cursor:
        cursor.execute(render(tree, "postgres"))
        in_postgres = cursor.fetchone()
    in_duckdb = duck_one(render(tree, "duckdb"))
    assert in_postgres[0] == in_duckdb[0] == 3 and in_postgres[2] == in_duckdb[2] == 3
    assert float(in_postgres[1]) == in_duckdb[1] == 3.5
    assert "7 / 2" not in render(tree, "athena").replace("7 / 2.0", "")  # Trino truncates too, but say so


def test_extract_is_not_an_integer_in_postgres(replication_conn) -> None:
    """sqlglot types EXTRACT as an integer; PostgreSQL returns numeric (epoch has fractions): no truncation."""
    tree = parse("SELECT (EXTRACT(epoch FROM TIMESTAMP '2024-01-02 12:00:00')"
                 " - EXTRACT(epoch FROM TIMESTAMP '2024-01-01 00:00:00')) / 86400 AS days,"
                 " (EXTRACT(year FROM DATE '2024-06-01')::int * 12) / 5 AS truncated")
    with replication_conn.cursor() as cursor:
        cursor.execute(render(tree, "postgres"))
        days, truncated = cursor.fetchone()
    assert float(days) == 1.5 and truncated == 4857
    for dialect in ("duckdb", "athena"):
        text = render(tree, dialect, pretty=False)
        assert "86400" in text and "// 86400" not in text and "TRUNC" not in text.split("86400")[0][-40:], text
    assert duck_one(render(tree, "duckdb")) == (1.5, 4857)


def test_unsized_numeric_is_sized_everywhere(replication_conn) -> None:
    tree = parse("SELECT round(2::numeric / 3, 4) AS r, round(percentile_cont(0.5) WITHIN GROUP "
                 "(ORDER BY x)::numeric, 2) AS m FROM (VALUES (1.005::float8), (2.0::float8)) AS v(x)")
    cast = sqlglot.transpile("SELECT CAST(2 AS numeric) AS n", read="postgres", write="duckdb")[0]
    assert duckdb.connect(":memory:").execute(f"SELECT typeof(n) FROM ({cast})").fetchone()[0] == "DECIMAL(18,3)", \
        "sqlglot alone: DuckDB's default decimal keeps three places"
    with replication_conn.cursor() as cursor:
        cursor.execute(render(tree, "postgres"))
        expected = cursor.fetchone()
    actual = duck_one(render(tree, "duckdb"))
    assert float(expected[0]) == float(actual[0]) == 0.6667
    for name in ALL:
        for dialect in ("duckdb", "athena"):
            reader = "trino" if dialect == "athena" else dialect
            tree = sqlglot.parse_one(load_queries()[name].sql(dialect), read=reader)
            for node in tree.find_all(exp.DataType):
                if node.this == exp.DataType.Type.DECIMAL:
                    assert node.expressions, f"{name} ({dialect}): unsized DECIMAL"


@pytest.mark.parametrize("name", ALL)
def test_athena_text_has_no_trap_left(name: str) -> None:
    tree = athena(name)
    text = load_queries()[name].sql("athena")
    assert "APPROX_" not in text.upper(), "approximate aggregates differ from PostgreSQL"
    assert "PERCENTILE" not in text.upper()
    assert tree.find(exp.WindowSpec) is None or "WINDOW " not in text, "named windows: spell them out"
    for window in tree.find_all(exp.Window):
        assert not isinstance(window.this, exp.Filter), "FILTER inside a window function"
    for node in tree.find_all(exp.Unnest):
        assert node.find_ancestor(exp.Select).args.get("expressions") is not None
        assert node.find_ancestor(exp.Join, exp.From) is not None, "UNNEST in a select list is not Trino"
    for extract in tree.find_all(exp.Extract):
        assert extract.this.name.upper() not in {"ISODOW", "EPOCH"}
    for div in tree.find_all(exp.Div):
        dividend = div.this
        assert isinstance(dividend, exp.Cast) and dividend.to.this in {exp.DataType.Type.DECIMAL,
                                                                        exp.DataType.Type.DOUBLE}, \
            f"{dividend.sql('trino')}: Trino divides decimals at the larger operand's scale"


def test_date_minus_date_is_a_day_count_in_every_engine() -> None:
    tree = parse("SELECT CAST('2024-03-01' AS date) - CAST('2024-02-01' AS date) AS days")
    assert "DATE_DIFF('DAY'" in render(tree, "athena")
    assert duck_one(render(tree, "duckdb"))[0] == 29
    assert "DATE_DIFF('DAY'" in load_queries()["revenue_growth"].sql("athena", pretty=False)


def test_greatest_and_least_skip_nulls_in_athena_as_in_postgres(replication_conn) -> None:
    """Trino's greatest(1, NULL) is NULL; PostgreSQL's is 1 (subscription_churn's last month depends on it)."""
    source = ("SELECT greatest(a, b) AS g, least(a, b) AS l, greatest(b, b) AS n "
              "FROM (VALUES (1, CAST(NULL AS integer)), (3, 2)) AS v(a, b) ORDER BY a")
    with replication_conn.cursor() as cursor:
        cursor.execute(source)
        expected = cursor.fetchall()
    assert expected == [(1, 1, None), (3, 2, 2)]
    naive = sqlglot.transpile(source, read="postgres", write="trino")[0]
    back = duckdb.connect(":memory:").execute(sqlglot.transpile(naive, read="trino", write="duckdb")[0]).fetchall()
    assert back[0] == (None, None, None), "sqlglot alone keeps Trino's NULL-propagating greatest"
    repaired = render(parse(source), "athena", pretty=False)
    assert "COALESCE" in repaired
    again = duckdb.connect(":memory:").execute(sqlglot.transpile(repaired, read="trino", write="duckdb")[0])
    assert again.fetchall() == expected
    assert duckdb.connect(":memory:").execute(render(parse(source), "duckdb")).fetchall() == expected


def test_isodow_becomes_day_of_week_in_athena() -> None:
    assert "DAY_OF_WEEK(" in load_queries()["revenue_by_weekday"].sql("athena").upper()


@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], [4.5, 1.25, 9.0, 2.0, 7.75, 3.0, 8.0]])
def test_the_exact_percentile_written_for_athena_equals_percentile_cont(replication_conn, values) -> None:
    rows = ", ".join(f"({v}::float8)" for v in values)
    source = ("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS p50, "
              f"percentile_cont(0.9) WITHIN GROUP (ORDER BY x) AS p90 FROM (VALUES {rows}, (NULL)) AS v(x)")
    with replication_conn.cursor() as cursor:
        cursor.execute(source)
        expected = cursor.fetchone()
    athena_text = render(parse(source), "athena")
    assert "ARRAY_SORT(ARRAY_AGG(" in athena_text.upper().replace(" ", "")
    # The Trino text's exact form, run in DuckDB (which understands the same array functions).
    actual = duck_one(sqlglot.transpile(athena_text, read="trino", write="duckdb")[0])
    assert actual == pytest.approx(expected, abs=1e-9)
    assert duck_one(render(parse(source), "duckdb")) == pytest.approx(expected, abs=1e-9)
