"""lake_verify against the real source: equal after a faithful landing; a lost change is caught.

The landing is written from the database (a full load by COPY as the replication role, and
CDC files for the changes made afterwards), then Silver is built from the files alone and
compared with the source per table and tenant, and Gold with the metrics in PostgreSQL.
Negative controls: without the file of one DELETE, or of one UPDATE, the proof fails and
names the key.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from analytics.report import render_html
from cdc.sink import OutRow
from lakehouse import iceberg
from lakehouse.bench import run as run_bench
from lakehouse.build import build
from lakehouse.landing import open_landing, read_landed
from lakehouse.report import lake_vs_source_html, lake_vs_source_section
from lakehouse.schema import spec_map, table_specs
from lakehouse.verify import verify
from models_app.models import Customer
from tenancy import tenant_context
from tests.factories import CustomerFactory, EventFactory, InvoiceFactory, OrderItemFactory, SubscriptionFactory
from tests.lakehouse.landing_writer import cdc_name, seq, write_file
from tests.lakehouse.source_export import copy_rows, full_load


@pytest.fixture
def landed(committed, replication_conn, tmp_path: Path):
    """A small world, its full load, then one UPDATE and one DELETE each landed as a CDC file."""
    tenant = committed.tenant()
    with tenant_context(tenant.id):
        item = OrderItemFactory()
        EventFactory(customer=item.order.customer)
        InvoiceFactory(customer=item.order.customer, subscription=SubscriptionFactory(customer=item.order.customer))
        doomed = CustomerFactory()
        changed = CustomerFactory()
    specs = table_specs()
    landing = tmp_path / "landing"
    full_load(replication_conn, specs, landing)
    customer = spec_map()["models_app_customer"]
    with tenant_context(tenant.id):
        Customer.objects.filter(id=changed.id).update(first_name="Renamed, \"quoted\"")
        Customer.objects.filter(id=doomed.id).delete()
    update_file = landing / "public" / customer.name / f"{cdc_name(1)}.csv"
    copy_rows(replication_conn, customer, update_file, op="U", change_seq=seq(1), where=f"id = '{changed.id}'")
    delete = OutRow("D", "2026-01-01 00:00:00.000000", seq(2), {"tenant_id": str(tenant.id), "id": str(doomed.id)})
    delete_file = write_file(landing, customer.name, cdc_name(2), customer.column_names, [delete])
    return {"landing": landing, "update": update_file, "delete": delete_file, "changed": str(changed.id),
            "doomed": str(doomed.id), "tenant": str(tenant.id)}


def test_lake_equals_source_and_a_lost_change_is_caught(landed, replication_conn, tmp_path: Path) -> None:
    report = build(str(landed["landing"]), tmp_path / "wh")
    assert report.gold_metrics == 20
    result = verify(replication_conn, tmp_path / "wh")
    assert result.ok, result.as_dict()
    assert result.metrics_checked == 20
    assert result.rows["models_app_customer"]["lake"] == result.rows["models_app_customer"]["source"]
    assert result.freshness["cdc_rows"] == 2
    # The Iceberg tables hold what Silver holds (what Athena, Spark or Trino would scan).
    for table, counts in result.rows.items():
        if counts["lake"]:
            assert iceberg.read(tmp_path / "wh", table).num_rows == counts["lake"], table
    assert all(m["source_rows"] == m["lake_rows"] and not m["differences"] for m in result.metrics)
    section = lake_vs_source_section(result)
    assert section.key == "lake-vs-source" and "the lake equals the source" in section.html
    assert "Differences" not in section.html and ">NO<" not in section.html
    assert '<td class="txt">models_app_customer</td>' in section.html
    page = render_html([], title="t", generated=dt.datetime.now(dt.UTC), extra_sections=[section])
    assert 'href="#lake-vs-source"' in page and section.html in page

    # Negative control 1: the DELETE never landed -> the key is still in the lake.
    no_delete = tmp_path / "no-delete"
    shutil.copytree(landed["landing"], no_delete)
    (no_delete / landed["delete"].relative_to(landed["landing"])).unlink()
    build(str(no_delete), tmp_path / "wh1")
    bad = verify(replication_conn, tmp_path / "wh1")
    assert not bad.ok
    [diff] = bad.table_differences
    assert (diff.table, diff.tenant) == ("models_app_customer", landed["tenant"])
    assert diff.extra_in_lake == [landed["doomed"]]
    assert any("customer" in line for line in bad.metric_differences)
    page = lake_vs_source_html(bad)
    assert "DIFFERS" in page and "Differences" in page and landed["doomed"] in page and ">NO<" in page

    # Negative control 2: the UPDATE never landed -> the key differs.
    no_update = tmp_path / "no-update"
    shutil.copytree(landed["landing"], no_update)
    (no_update / landed["update"].relative_to(landed["landing"])).unlink()
    build(str(no_update), tmp_path / "wh2", with_gold=False)
    bad = verify(replication_conn, tmp_path / "wh2", with_metrics=False)
    [diff] = bad.table_differences
    assert diff.changed == [landed["changed"]] and not diff.missing_in_lake and not diff.extra_in_lake


def test_lake_verify_command_exits_non_zero_listing_the_difference(landed, tmp_path: Path, capsys) -> None:
    landed["delete"].unlink()
    with pytest.raises(CommandError, match="differs from the source"):
        call_command("lake_verify", "--landing", str(landed["landing"]), "--warehouse", str(tmp_path / "wh"),
                     "--no-metrics", "--html", str(tmp_path / "lake.html"))
    assert landed["doomed"] in capsys.readouterr().out
    assert landed["doomed"] in (tmp_path / "lake.html").read_text(encoding="utf-8")


def test_bench_runs_end_to_end_on_a_small_world(landed, replication_conn, tmp_path: Path) -> None:
    result = run_bench(replication_conn, tmp_path / "bench", changes=10)
    assert result["verify_ok"] and result["rows_landed"] == result["rows_applied"]
    incremental = result["incremental"]
    # Every synthetic change is newer than Silver (updates) or a new key (inserts): all are applied.
    assert incremental["changes"] > 0 and incremental["rows_applied"] == incremental["changes"]
    assert {"build_seconds", "verify_seconds", "reference_read_seconds", "reference_copy_seconds"} <= result.keys()


def _as_dms_parquet(source: Path, target: Path) -> None:
    """Rewrite a CSV landing as DMS's typed Parquet: timestamps in milliseconds without zone, decimals, booleans."""
    specs = spec_map()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for path in source.rglob("*.csv"):
        spec = specs[path.parent.name]
        [file] = [f for f in open_landing(str(source)).list_files() if f.uri == str(path)]
        con.register("landed", read_landed(path.read_bytes(), file, spec.column_names))
        typed = ", ".join(f'CAST("{c.name}" AS {c.duckdb_type}) AS "{c.name}"' for c in spec.columns
                          if c.kind in ("timestamptz", "decimal", "bool", "date", "int"))
        table = con.sql(f"SELECT * REPLACE ({typed}) FROM landed").to_arrow_table()
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                millis = pc.cast(table.column(i), pa.timestamp("ms", tz="UTC"), safe=False)
                table = table.set_column(i, field.name, pc.cast(millis, pa.timestamp("ms")))
        out = target / path.relative_to(source).with_suffix(".parquet")
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out)
        con.unregister("landed")
    con.close()


def test_typed_parquet_with_millisecond_timestamps_verifies(landed, replication_conn, tmp_path: Path) -> None:
    """DMS's Parquet (typed, ParquetTimestampInMillisecond=true) proves equal: timestamps compare in ms."""
    _as_dms_parquet(landed["landing"], tmp_path / "parquet")
    build(str(tmp_path / "parquet"), tmp_path / "wh", with_gold=False)
    result = verify(replication_conn, tmp_path / "wh", with_metrics=False)
    assert result.ok, result.as_dict()
