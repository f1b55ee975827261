"""Reading the landing area: DMS names, CSV NULL vs empty string, S3 through a real S3 endpoint, Iceberg output."""

from __future__ import annotations

import ast
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.management import CommandError, call_command
from moto.server import ThreadedMotoServer

from cdc.sink import OutRow
from lakehouse import iceberg
from lakehouse.build import build, follow
from lakehouse.landing import LandingError, classify, open_landing, read_landed
from lakehouse.schema import spec_map
from tests.lakehouse.landing_writer import cdc_name, seq, write_file

TABLE = "tenancy_tenant"
ROOT = Path(__file__).resolve().parents[2]


def _tenant(slug: str, domain: str | None) -> dict:
    return {"id": str(uuid.uuid4()), "name": slug.title(), "slug": slug, "domain": domain,
            "created_at": "2024-02-29 23:59:59.123456+00", "updated_at": "2024-03-01 00:00:00+00",
            "is_active": "true", "settings": '{"a": [1, "x,y"]}'}


def test_dms_names_and_fail_closed_on_others() -> None:
    assert classify("LOAD0000000A.parquet") == "load"
    assert classify("20141029-1134010000.csv") == "cdc"
    for bad in ("LOAD0000000a.csv", "20250101-120000-123456.csv", "part-0001.parquet", "LOAD00000001.json"):
        with pytest.raises(LandingError):
            classify(bad)


def test_csv_keeps_null_and_empty_string_apart(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    rows = [OutRow("I", "", "", _tenant("a", None)), OutRow("I", "", "", _tenant("b", ""))]
    write_file(tmp_path, TABLE, "LOAD00000001", spec.column_names, rows)
    [file] = open_landing(str(tmp_path)).list_files()
    table = read_landed(Path(file.uri).read_bytes(), file, spec.column_names)
    assert table.column("domain").to_pylist() == [None, ""]
    assert table.column("settings").to_pylist() == ['{"a": [1, "x,y"]}'] * 2


def test_unknown_table_or_column_fails_closed(tmp_path: Path) -> None:
    write_file(tmp_path / "a", "django_session", "LOAD00000001", ["session_key"], [OutRow("I", "", "", {})])
    with pytest.raises(LandingError, match="not a replicated table"):
        build(str(tmp_path / "a"), tmp_path / "wa", with_iceberg=False, with_gold=False)
    spec = spec_map()[TABLE]
    write_file(tmp_path / "b", TABLE, "LOAD00000001", [*spec.column_names, "surprise"],
               [OutRow("I", "", "", {**_tenant("c", None), "surprise": "x"})])
    with pytest.raises(LandingError, match="surprise"):
        build(str(tmp_path / "b"), tmp_path / "wb", with_iceberg=False, with_gold=False)


def test_iceberg_tables_hold_silver(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    a, b = _tenant("a", None), _tenant("b", "b.example")
    write_file(tmp_path / "l", TABLE, "LOAD00000001", spec.column_names, [OutRow("I", "", "", a)], fmt="parquet")
    build(str(tmp_path / "l"), tmp_path / "w", with_gold=False)
    assert iceberg.read(tmp_path / "w", TABLE).column("slug").to_pylist() == ["a"]
    # An insert appends; an update and a delete rewrite (copy-on-write).
    write_file(tmp_path / "l", TABLE, cdc_name(1), spec.column_names, [OutRow("I", "", seq(1), b)])
    build(str(tmp_path / "l"), tmp_path / "w", with_gold=False)
    assert sorted(iceberg.read(tmp_path / "w", TABLE).column("slug").to_pylist()) == ["a", "b"]
    write_file(tmp_path / "l", TABLE, cdc_name(2), spec.column_names,
               [OutRow("U", "", seq(2), {**b, "slug": "b2"}), OutRow("D", "", seq(3), {"id": a["id"]})])
    build(str(tmp_path / "l"), tmp_path / "w", with_gold=False)
    data = iceberg.read(tmp_path / "w", TABLE)
    assert data.column("slug").to_pylist() == ["b2"]
    assert data.column("id").to_pylist() == [b["id"]]
    assert str(data.schema.field("created_at").type) == "timestamp[us, tz=UTC]"


@pytest.fixture
def s3_endpoint(monkeypatch) -> Iterator[str]:
    """A local S3-compatible server (moto) on loopback: the real S3 protocol through boto3."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_build_reads_s3(s3_endpoint: str, tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    write_file(tmp_path / "l", TABLE, "LOAD00000001", spec.column_names, [OutRow("I", "", "", _tenant("s3", None))])
    write_file(tmp_path / "l", TABLE, cdc_name(1), spec.column_names,
               [OutRow("I", "", seq(1), _tenant("s4", None))], fmt="parquet")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="landing")
    for path in (tmp_path / "l").rglob("*.*"):
        client.upload_file(str(path), "landing", f"dms/{path.relative_to(tmp_path / 'l').as_posix()}")
    report = build("s3://landing/dms", tmp_path / "w", s3_endpoint=s3_endpoint, with_gold=False)
    assert (report.files_read, report.rows_applied) == (2, 2)
    again = build("s3://landing/dms", tmp_path / "w", s3_endpoint=s3_endpoint, with_gold=False)
    assert (again.files_read, again.rows_applied) == (0, 0)
    assert sorted(iceberg.read(tmp_path / "w", TABLE).column("slug").to_pylist()) == ["s3", "s4"]


def test_build_never_imports_the_source_database() -> None:
    """lake_build's modules reach neither Django's connections nor psycopg2 nor the project's DB wiring."""
    forbidden = {"django.db.connection", "django.db.connections", "psycopg2", "project.database", "analytics.runner"}
    for module in ("build", "silver", "landing", "iceberg", "sql", "schema", "gold"):
        tree = ast.parse((ROOT / "lakehouse" / f"{module}.py").read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        assert not names & forbidden, (module, names & forbidden)


def test_follow_picks_up_files_landed_while_it_runs(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    a, b = _tenant("first", None), _tenant("later", None)
    write_file(tmp_path / "l", TABLE, "LOAD00000001", spec.column_names, [OutRow("I", "", "", a)])
    reports = []

    def land_more(report) -> None:
        reports.append(report)
        if len(reports) == 1:  # DMS flushes a CDC file after the first poll
            write_file(tmp_path / "l", TABLE, cdc_name(1), spec.column_names, [OutRow("I", "", seq(1), b)])

    follow(str(tmp_path / "l"), tmp_path / "w", interval=0.05, max_seconds=60, on_build=land_more,
           until=lambda: len(reports) >= 3, with_gold=False)
    assert [r.rows_applied for r in reports[:3]] == [1, 1, 0]
    assert sorted(iceberg.read(tmp_path / "w", TABLE).column("slug").to_pylist()) == ["first", "later"]


def test_lake_build_command_reports_json_and_fails_closed(tmp_path: Path, capsys) -> None:
    spec = spec_map()[TABLE]
    write_file(tmp_path / "l", TABLE, "LOAD00000001", spec.column_names, [OutRow("I", "", "", _tenant("j", None))])
    call_command("lake_build", "--landing", str(tmp_path / "l"), "--warehouse", str(tmp_path / "w"), "--json",
                 "--no-gold")
    report = json.loads(capsys.readouterr().out)
    assert (report["files_read"], report["rows_applied"]) == (1, 1)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("lake_build", "--landing", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w"))
    (tmp_path / "l" / "public" / TABLE / "part-0.csv").write_text("x")
    with pytest.raises(CommandError, match="neither a DMS full-load name"):
        call_command("lake_build", "--landing", str(tmp_path / "l"), "--warehouse", str(tmp_path / "w"))
    with pytest.raises(CommandError, match="no lake in"):
        call_command("lake_verify", "--landing", str(tmp_path / "l"), "--warehouse", str(tmp_path / "none"),
                     "--no-build")
