"""scripts/generate_sample_queries.sql is the Athena text of the definitions, byte for byte."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics.definitions import metric_definitions
from analytics.sample_sql import SAMPLE_FILE, render_all


def test_the_sample_file_is_generated_from_the_definitions() -> None:
    assert SAMPLE_FILE.read_text(encoding="utf-8") == render_all(metric_definitions(), "athena"), (
        "scripts/generate_sample_queries.sql is stale: "
        "python manage.py metrics --sql --dialect athena --out scripts/generate_sample_queries.sql"
    )


def test_the_command_writes_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "athena.sql"
    call_command("metrics", "--sql", "--dialect", "athena", "--out", str(out), stdout=StringIO())
    assert out.read_text(encoding="utf-8") == SAMPLE_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("dialect", ["postgres", "duckdb", "athena"])
def test_sql_prints_one_metric_per_dialect(dialect: str) -> None:
    out = StringIO()
    call_command("metrics", "--sql", "--dialect", dialect, "--metric", "mrr", stdout=out)
    text = out.getvalue()
    assert "-- mrr: MRR (monthly recurring revenue)" in text
    assert text.count(";\n") == 1 and "models_app_subscription" in text
    assert "average_order_value" not in text


def test_sql_for_one_tenant_filters_every_scan(world_db) -> None:
    slug, tenant_id = next(iter(world_db.tenants.items()))
    out = StringIO()
    call_command("metrics", "--sql", "--dialect", "athena", "--metric", "category_performance", "--tenant", slug,
                 stdout=out)
    assert out.getvalue().count(f"tenant_id = '{tenant_id}'") == 3


def test_bad_sql_options_are_command_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--out goes with --sql"):
        call_command("metrics", "--out", str(tmp_path / "x.sql"))
    with pytest.raises(CommandError, match="not a file in an existing folder"):
        call_command("metrics", "--sql", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="not a file in an existing folder"):
        call_command("metrics", "--sql", "--out", str(tmp_path / "missing" / "x.sql"))
    with pytest.raises(CommandError, match="unknown metric 'nope'"):
        call_command("metrics", "--sql", "--metric", "nope")
