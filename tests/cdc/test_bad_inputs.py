"""Bad input to the CDC commands: one sentence, before any work (no slot created, nothing written)."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cdc.slots import create_slot, drop_slot, list_slots, slot_status
from project.database import connect

UNWRITABLE = "/proc/lakehouse-landing"


def _slots(dbname: str) -> set[str]:
    return {s.slot_name for s in list_slots(dbname)}


@pytest.mark.parametrize(("command", "options", "message"), [
    ("cdc_tail", {"out": "/etc/passwd"}, "not a folder"),
    ("cdc_tail", {"out": "/etc/passwd/sub"}, "not writable"),
    ("cdc_tail", {"out": UNWRITABLE}, "not writable"),
    ("cdc_tail", {"out": "ftp://host/x"}, "folder or s3://"),
    ("cdc_tail", {"slot": "Bad-Name!"}, "not a valid slot name"),
    ("cdc_tail", {"min_file_size": 0}, "--min-file-size"),
    ("dms_task", {"target": "/etc/passwd"}, "not a folder"),
    ("dms_task", {"target": UNWRITABLE}, "not writable"),
    ("dms_task", {"target": "s3://Bad_Bucket/x"}, "valid S3 bucket"),
    ("dms_task", {"target": "s3://good-bucket/x", "s3_endpoint": "ftp://nowhere"}, "not an http"),
    ("dms_task", {"target": "landing", "slot": "Bad-Name!"}, "not a valid slot name"),
    ("dms_task", {"target": "landing", "batch_interval": -1}, "--batch-interval"),
    ("cdc_check", {"out": "/etc/passwd"}, "not a folder"),
    ("cdc_check", {"batch_interval": 0}, "--batch-interval"),
    ("dms_config", {"slot": "Bad-Name!"}, "not a valid slot name"),
    ("dms_config", {"host": "bad host;"}, "--host"),
    ("dms_config", {"target": "/tmp/x"}, "s3://"),
])
def test_bad_input_is_one_sentence_before_any_work(command: str, options: dict, message: str,
                                                   django_db_setup: str) -> None:
    before = _slots(django_db_setup)
    with pytest.raises(CommandError, match=message) as caught:
        call_command(command, skip_checks=True, **options)
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text
    assert _slots(django_db_setup) == before  # no slot was created
    assert not Path("landing").exists() or options.get("target") != "landing"


def test_dms_config_host_and_engine(django_db_setup: str) -> None:
    import json

    out = StringIO()
    call_command("dms_config", host="db.internal.example", json=True, skip_checks=True, stdout=out)
    config = json.loads(out.getvalue())
    assert config["source_endpoint"]["ServerName"] == "db.internal.example"
    engine = config["server"]["minimum_dms_engine"]
    assert engine["version"] != "check AWS docs"
    assert engine["listed"] is (engine["version"] is not None)
    settings = config["s3_target_settings"]
    assert settings["DataFormat"] == "parquet" and settings["ParquetTimestampInMillisecond"] is True
    assert settings["IncludeOpForFullLoad"] is True and settings["TimestampColumnName"] == "commit_timestamp"
    assert settings["CdcMaxBatchInterval"] == 60 and settings["CdcMinFileSize"] == 32000
    csv = json.loads(_config(format="csv", batch_interval=5, target="s3://my-bucket/landing"))["s3_target_settings"]
    assert csv["CsvNullValue"] == "" and csv["CdcMaxBatchInterval"] == 5
    assert (csv["BucketName"], csv["BucketFolder"]) == ("my-bucket", "landing")
    rules = config["table_mappings"]["rules"]
    seq = [r for r in rules if r.get("rule-action") == "add-column"]
    assert seq and seq[0]["expression"] == "$AR_H_CHANGE_SEQ" and seq[0]["value"] == "change_seq"


def _config(**options) -> str:
    out = StringIO()
    call_command("dms_config", json=True, skip_checks=True, stdout=out, **options)
    return out.getvalue()


@pytest.mark.slow
def test_lost_slot_is_said_at_once(django_db_setup: str, tmp_path: Path) -> None:
    """A slot whose WAL was removed: one sentence naming cdc_slots --drop and a new full load, no retries.

    Negative control first: the same slot before the WAL is removed streams fine.
    """
    name = f"lost_{os.getpid()}_{int(time.time())}"
    admin = connect("admin", dbname=django_db_setup)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SHOW max_slot_wal_keep_size")
            previous = cursor.fetchone()[0]
            cursor.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")
            cursor.execute("SELECT pg_reload_conf()")
        assert create_slot(name, django_db_setup)
        out = StringIO()
        call_command("cdc_tail", slot=name, out=str(tmp_path / "ok"), once=True, no_create=True, json=True,
                     skip_checks=True, verbosity=0, stdout=out)  # the control: streams, exits 0
        with admin.cursor() as cursor:
            for _ in range(6):  # a few WAL segments past the slot, then a checkpoint removes them
                cursor.execute("SELECT pg_logical_emit_message(false, 'lakehouse-test', repeat('x', 100000))")
                cursor.execute("SELECT pg_switch_wal()")
            cursor.execute("CHECKPOINT")
        deadline = time.monotonic() + 30
        while slot_status(name, django_db_setup) != "lost" and time.monotonic() < deadline:
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_logical_emit_message(false, 'lakehouse-test', 'x')")
                cursor.execute("SELECT pg_switch_wal()")
                cursor.execute("CHECKPOINT")
            time.sleep(0.2)
        assert slot_status(name, django_db_setup) == "lost"
        with pytest.raises(CommandError, match=r"is lost.*cdc_slots --drop .*full load") as caught:
            call_command("cdc_tail", slot=name, out=str(tmp_path / "lost"), once=True, no_create=True,
                         skip_checks=True, verbosity=0)
        assert "\n" not in str(caught.value)
    finally:
        with admin.cursor() as cursor:
            cursor.execute("ALTER SYSTEM RESET max_slot_wal_keep_size")
            cursor.execute("SELECT pg_reload_conf()")
        admin.close()
        drop_slot(name, django_db_setup)
    deadline = time.monotonic() + 10
    while True:  # backends apply a reload asynchronously: ask a fresh session
        check = connect("admin", dbname=django_db_setup)
        try:
            with check.cursor() as cursor:
                cursor.execute("SHOW max_slot_wal_keep_size")
                restored = cursor.fetchone()[0]
        finally:
            check.close()
        if restored == previous or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert restored == previous


@pytest.mark.parametrize("command", [["dms_task", "--target"], ["cdc_tail", "--out"]])
def test_unreachable_server_is_one_sentence(command: list[str], tmp_path: Path) -> None:
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "LAKEHOUSE_NO_AUTOSTART": "1", "DATABASE_URL": "postgres://nobody:x@127.0.0.1:1/none"}
    done = subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *command,
                           str(tmp_path / "landing"), "--skip-checks"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "PostgreSQL is unreachable" in done.stderr and "dbserver start" in done.stderr
