"""The local DMS task as the replication role: exact cut, DMS names, resume, batching, S3.

Writes go through the app role (the simulator), the task reads as the replication role,
and every test replays the landed files (:mod:`tests.cdc.landing_support`) and compares
them with the source read as the replication role: equal, every column, every row.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from cdc.consumer import Consumer
from cdc.landing import (
    CHANGE_SEQ_COLUMN,
    META_COLUMNS,
    OP_COLUMN,
    STATE_KEY,
    FolderStore,
    landing_files,
    load_state,
    read_landing_file,
)
from cdc.mapping import table_filter
from cdc.slots import drop_slot, list_slots
from cdc.targets import open_target
from cdc.task import S3Profile, run_task
from cdc.workload.simulator import Simulator
from tests.cdc.landing_support import differences, landed_rows, replay, source_state

pytestmark = pytest.mark.slow


@pytest.fixture
def task_slot(django_db_setup: str) -> Iterator[str]:
    """A slot name for run_task to create; always dropped (slots retain WAL)."""
    name = f"task_{uuid.uuid4().hex[:12]}"
    yield name
    drop_slot(name, django_db_setup)


def _activity(sim: Simulator, operations: int) -> None:
    for _ in range(operations):
        sim.step()


def _world(committed, seed: int, operations: int = 40) -> Simulator:
    sim = Simulator([committed.tenant().id], seed=seed, time_scale=None)  # fast: volume, not pace
    sim.prepare()
    _activity(sim, operations)
    return sim


def test_exact_cut_rows_committed_during_the_full_load_land_once(committed, task_slot: str, tmp_path: Path,
                                                                  django_db_setup: str) -> None:
    """Changes committed while the full load runs are in CDC, not in LOAD: each insert lands exactly once."""
    sim = _world(committed, seed=31)
    loaded_tables: list[str] = []

    def during_load(schema: str, table: str) -> None:
        loaded_tables.append(table)
        _activity(sim, 15)  # commits into tables already read and tables not read yet

    store = FolderStore(tmp_path)
    result = run_task(store, task_slot, django_db_setup, S3Profile(fmt="csv"), once=True, verbosity=0,
                      on_table_done=during_load)
    assert len(loaded_tables) == len(table_filter())
    assert result.full_load["status"] == "done" and result.full_load["rows"] > 0
    assert result.cdc["rows"] > 0  # what was committed during the load came through the slot
    landed, inserts = replay(store)
    assert differences(landed, source_state(django_db_setup)) == {}
    assert [key for key, n in inserts.items() if n != 1] == []  # no overlap between snapshot and stream
    # Full-load rows sort before every CDC row.
    rows = landed_rows(store)
    last_load = max(r[CHANGE_SEQ_COLUMN] for _t, kind, _n, r in rows if kind == "load")
    first_cdc = min(r[CHANGE_SEQ_COLUMN] for _t, kind, _n, r in rows if kind == "cdc")
    assert last_load < first_cdc


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_files_are_named_and_numbered_as_dms(committed, task_slot: str, tmp_path: Path, django_db_setup: str,
                                             fmt: str) -> None:
    """LOAD files in 8 upper-case hex digits (…09, 0A…) once a table needs more than nine; CDC names."""
    sim = _world(committed, seed=32, operations=250)
    store = FolderStore(tmp_path)
    profile = S3Profile(fmt=fmt, max_file_size_kb=1)
    run_task(store, task_slot, django_db_setup, profile, once=True, verbosity=0)
    _activity(sim, 20)
    run_task(store, task_slot, django_db_setup, profile, once=True, verbosity=0)
    files = landing_files(store)
    per_table = Counter((f.schema, f.table) for f in files if f.kind == "load")
    (schema, table), most = per_table.most_common(1)[0]
    assert most > 10, per_table
    names = sorted(f.name for f in files if (f.schema, f.table) == (schema, table) and f.kind == "load")
    assert names[:11] == [f"LOAD{n:08X}.{fmt}" for n in range(1, 12)]
    assert f"LOAD0000000A.{fmt}" in names
    cdc = [f.name for f in files if f.kind == "cdc"]
    assert cdc and all(re.fullmatch(rf"\d{{8}}-\d{{10}}\.{fmt}", n) for n in cdc)
    for landed in files:
        assert landed.key.startswith("public/")
        columns = read_landing_file(store, landed.key).column_names
        assert columns[:3] == list(META_COLUMNS)
    # LOAD and CDC files of one table share one schema (Parquet: the catalog's types).
    customer = [f for f in files if f.table == "models_app_customer"]
    schemas = {str(read_landing_file(store, f.key).schema) for f in customer}
    assert len(schemas) == 1
    if fmt == "parquet":
        typed = read_landing_file(store, customer[0].key).schema
        assert typed.field("created_at").type == pa.timestamp("ms") and typed.field("is_active").type == pa.bool_()
    landed, _ = replay(store)
    assert differences(landed, source_state(django_db_setup), compare_values=fmt == "csv") == {}


def test_rerun_continues_without_duplicates_or_gaps(committed, task_slot: str, tmp_path: Path,
                                                    django_db_setup: str) -> None:
    sim = _world(committed, seed=33)
    store = FolderStore(tmp_path)
    profile = S3Profile(fmt="csv")
    first = run_task(store, task_slot, django_db_setup, profile, once=True, verbosity=0)
    load_files = sorted(f.key for f in landing_files(store) if f.kind == "load")
    for round_ in range(3):
        _activity(sim, 20)
        again = run_task(store, task_slot, django_db_setup, profile, once=True, verbosity=0)
        assert again.full_load["status"] == "done (earlier run)"  # the full load ran once
        assert again.cdc["rows"] > 0 and again.cdc["duplicate_rows"] == 0, round_
    assert sorted(f.key for f in landing_files(store) if f.kind == "load") == load_files
    seqs = Counter((t, r[CHANGE_SEQ_COLUMN]) for t, kind, _n, r in landed_rows(store) if kind == "cdc")
    assert [s for s, n in seqs.items() if n > 1] == []  # no change landed twice
    landed, inserts = replay(store)
    assert differences(landed, source_state(django_db_setup)) == {}
    assert load_state(store)["full_load"]["snapshot_lsn"] == first.full_load["snapshot_lsn"]
    from cdc.landing import LandingError

    with pytest.raises(LandingError, match="holds csv files"):
        run_task(store, task_slot, django_db_setup, S3Profile(fmt="parquet"), once=True, verbosity=0)
    drop_slot(task_slot, django_db_setup)
    with pytest.raises(LandingError, match="no longer exists"):
        run_task(store, task_slot, django_db_setup, profile, once=True, verbosity=0)


def test_interrupted_full_load_starts_over(committed, task_slot: str, tmp_path: Path,
                                           django_db_setup: str) -> None:
    """A load cut short is not continued (its snapshot is gone): files and slot are redone."""
    _world(committed, seed=34)
    store = FolderStore(tmp_path)

    def crash(schema: str, table: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_task(store, task_slot, django_db_setup, S3Profile(fmt="csv"), once=True, verbosity=0,
                 on_table_done=crash)
    assert load_state(store)["full_load"]["status"] == "running"
    result = run_task(store, task_slot, django_db_setup, S3Profile(fmt="csv"), once=True, verbosity=0)
    assert result.full_load["status"] == "done"
    landed, inserts = replay(store)
    assert differences(landed, source_state(django_db_setup)) == {}
    assert [key for key, n in inserts.items() if n != 1] == []


def test_many_transactions_make_few_files(committed, slot: str, tmp_path: Path, django_db_setup: str) -> None:
    """Batching as DMS: N transactions in one batch interval → one file per table touched."""
    sim = Simulator([committed.tenant().id], seed=35)
    sim.prepare()
    _activity(sim, 120)
    consumer = Consumer(slot, tmp_path, fmt="csv", tables=table_filter(), dbname=django_db_setup)
    stats = consumer.run(once=True)
    assert stats.transactions > 100
    assert stats.flushes == 1
    assert stats.files == len(stats.tables) <= len(table_filter())
    assert len([f for f in landing_files(FolderStore(tmp_path))]) == stats.files
    # And a small CdcMinFileSize splits the batch by size, still far fewer files than transactions.
    _activity(sim, 60)
    small = Consumer(slot, tmp_path, fmt="csv", tables=table_filter(), dbname=django_db_setup,
                     min_file_size=16 * 1024).run(once=True)
    assert 1 < small.flushes < small.transactions


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from devdb.s3 import ThreadedS3

    with ThreadedS3() as server:
        yield server.endpoint_url


def test_s3_target_on_the_local_server(committed, task_slot: str, django_db_setup: str, s3_endpoint: str) -> None:
    """``dms_task --target s3://…`` writes through boto3 to the local S3 server; the landing replays exactly."""
    from io import StringIO

    from django.core.management import call_command

    sim = _world(committed, seed=36)
    target = f"s3://landing-{uuid.uuid4().hex[:8]}/dms/run1"
    out = StringIO()
    call_command("dms_task", target=target, slot=task_slot, once=True, s3_endpoint=s3_endpoint,
                 dbname=django_db_setup, format="parquet", verbosity=0, stdout=out)
    _activity(sim, 20)
    call_command("dms_task", target=target, slot=task_slot, once=True, s3_endpoint=s3_endpoint,
                 dbname=django_db_setup, format="parquet", verbosity=0, stdout=out)
    store = open_target(target, s3_endpoint)
    keys = store.list()
    assert STATE_KEY in keys
    assert all(k == STATE_KEY or k.startswith("public/") for k in keys)
    assert any("/LOAD00000001.parquet" in k for k in keys) and any(re.search(r"/\d{8}-\d{10}\.parquet$", k)
                                                                   for k in keys)
    landed, inserts = replay(store)
    assert differences(landed, source_state(django_db_setup), compare_values=False) == {}
    assert [key for key, n in inserts.items() if n != 1] == []
    ops = Counter(r[OP_COLUMN] for _t, _k, _n, r in landed_rows(store))
    assert set(ops) <= {"I", "U", "D"} and ops["U"] > 0


def test_existing_slot_without_task_state_is_refused(slot: str, tmp_path: Path, django_db_setup: str) -> None:
    from cdc.landing import LandingError

    with pytest.raises(LandingError, match="no task state"):
        run_task(FolderStore(tmp_path), slot, django_db_setup, S3Profile(fmt="csv"), once=True, verbosity=0)
    assert list(tmp_path.iterdir()) == []
    assert sum(s.slot_name == slot for s in list_slots(django_db_setup)) == 1


def test_ctrl_c_flushes_confirms_and_the_next_run_continues(committed, task_slot: str, tmp_path: Path,
                                                            django_db_setup: str) -> None:
    """``dms_task`` following the stream: SIGINT writes the batch, confirms, prints one summary, exits 0."""
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings

    sim = _world(committed, seed=37)
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "dms_task", "--skip-checks",
               "--target", str(tmp_path), "--slot", task_slot, "--dbname", django_db_setup, "--format", "csv",
               "--verbosity", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        store = FolderStore(tmp_path)
        deadline = time.monotonic() + 120
        while (load_state(store) or {}).get("full_load", {}).get("status") != "done":
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the full load did not finish"
            time.sleep(0.2)
        _activity(sim, 30)  # into the 60 s batch: nothing is written until the stop
        time.sleep(1.0)
        assert not [f for f in landing_files(store) if f.kind == "cdc"]
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "(stopped)" in stdout and "CDC " in stdout
    assert [f for f in landing_files(store) if f.kind == "cdc"]  # the batch was written at the stop
    again = run_task(store, task_slot, django_db_setup, S3Profile(fmt="csv"), once=True, verbosity=0)
    assert again.cdc["duplicate_rows"] == 0
    landed, inserts = replay(store)
    assert differences(landed, source_state(django_db_setup)) == {}
    assert [key for key, n in inserts.items() if n != 1] == []
