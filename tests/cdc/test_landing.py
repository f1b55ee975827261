"""The landing contract on its own: names, sequences, CSV NULLs, stores (folder and a moto subprocess)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from cdc.arrowtypes import arrow_type, to_arrow
from cdc.landing import (
    FolderStore,
    LandingError,
    S3Store,
    cdc_file_name,
    change_seq,
    commit_time,
    landing_files,
    load_file_name,
    open_store,
    parse_file_name,
    read_landing_file,
)
from cdc.sink import OutRow, format_csv


def test_load_files_are_numbered_in_upper_case_hex() -> None:
    assert [load_file_name(n, "csv") for n in (1, 9, 10, 15, 16, 255)] == [
        "LOAD00000001.csv", "LOAD00000009.csv", "LOAD0000000A.csv", "LOAD0000000F.csv", "LOAD00000010.csv",
        "LOAD000000FF.csv"]
    with pytest.raises(LandingError):
        load_file_name(0, "csv")


def test_cdc_names_carry_four_sub_second_digits_in_utc() -> None:
    moment = dt.datetime(2014, 10, 29, 11, 34, 1, 123456, tzinfo=dt.UTC)
    assert cdc_file_name(moment, "csv") == "20141029-1134011234.csv"
    plus_two = moment.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert cdc_file_name(plus_two, "parquet") == "20141029-1134011234.parquet"
    parsed = parse_file_name("public", "t", "20141029-1134011234.csv")
    assert parsed is not None and parsed.kind == "cdc"
    assert parsed.written_at == dt.datetime(2014, 10, 29, 11, 34, 1, 123400, tzinfo=dt.UTC)
    assert parse_file_name("public", "t", "LOAD0000000A.parquet").order == 10
    for other in (".LOAD00000001.csv.1.tmp", "LOAD0000000a.csv", "20141029-113401.csv", "_dms_task_state.json"):
        assert parse_file_name("public", "t", other) is None


def test_change_sequence_is_35_digits_and_orders_load_before_cdc() -> None:
    load = change_seq(5000, 0)
    cdc = [change_seq(5001, 0), change_seq(5001, 1), change_seq(5002, 0)]
    assert all(len(s) == 35 and s.isdigit() for s in (load, *cdc))
    assert [load, *cdc] == sorted([load, *cdc])
    assert change_seq(2**64 - 1, 10**15 - 1) == "18446744073709551615" + "9" * 15
    assert commit_time(dt.datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)) == "2025-01-02 03:04:05.000006"


def test_csv_null_and_empty_string_stay_distinct(tmp_path: Path) -> None:
    store = FolderStore(tmp_path)
    text = format_csv(("a", "b"), [OutRow("I", "2025-01-01 00:00:00.000000", "1" * 35, {"a": None, "b": ""})])
    store.put("public/t/20250101-0000000000.csv", text.encode())
    table = read_landing_file(store, "public/t/20250101-0000000000.csv")
    assert table.to_pylist() == [{"Op": "I", "commit_timestamp": "2025-01-01 00:00:00.000000",
                                  "change_seq": "1" * 35, "a": None, "b": ""}]
    assert [f.name for f in landing_files(store)] == ["20250101-0000000000.csv"]


def test_types_as_dms_writes_them() -> None:
    assert arrow_type("numeric(12,2)") == pa.decimal128(12, 2)
    assert arrow_type("numeric") == pa.decimal128(28, 6)
    assert arrow_type("timestamp with time zone") == pa.timestamp("us")
    assert arrow_type("jsonb") == pa.string() and arrow_type("uuid") == pa.string()
    stamps = to_arrow(pa.array(["2025-01-01 12:00:00.123456+00", None]), "timestamp with time zone")
    assert stamps.to_pylist() == [dt.datetime(2025, 1, 1, 12, 0, 0, 123456), None]
    assert to_arrow(pa.array(["true", "f", None]), "boolean").to_pylist() == [True, False, None]


def test_folder_store_refuses_escaping_keys(tmp_path: Path) -> None:
    store = FolderStore(tmp_path / "root")
    for key in ("../x", "a/../../x", "/etc/x", "a//b"):
        with pytest.raises(LandingError):
            store.put(key, b"x")
    assert not (tmp_path / "x").exists()


def test_targets_are_a_folder_or_s3() -> None:
    assert isinstance(open_store("landing"), FolderStore)
    with pytest.raises(LandingError, match="folder or s3://"):
        open_store("gs://bucket/x")
    with pytest.raises(LandingError, match="valid S3 bucket"):
        open_store("s3://UPPER/x")


@pytest.mark.slow
def test_local_s3_subprocess_serves_the_store(tmp_path: Path) -> None:
    """The on-demand ``moto_server`` (what the demo uses): start, write, list, read, stop."""
    import boto3

    from devdb.s3 import LOCAL_CREDENTIALS, LOCAL_REGION, LocalS3

    server = LocalS3(tmp_path / "s3")
    endpoint = server.ensure_running()
    try:
        assert server.is_running() and server.ensure_running() == endpoint  # started once
        client = boto3.client("s3", endpoint_url=endpoint, region_name=LOCAL_REGION, **LOCAL_CREDENTIALS)
        store = S3Store("landing-test", "dms", endpoint_url=endpoint, create_bucket=True, client=client)
        store.check_writable()
        store.put("public/t/LOAD00000001.csv", b'"Op"\r\n"I"\r\n')
        with store.writer("public/t/LOAD00000002.csv") as handle:
            handle.write(b'"Op"\r\n"I"\r\n')
        assert store.list() == ["public/t/LOAD00000001.csv", "public/t/LOAD00000002.csv"]
        assert read_landing_file(store, "public/t/LOAD00000002.csv").num_rows == 1
        assert store.get("public/t/missing.csv") is None
    finally:
        assert server.stop()
    assert not server.is_running()
