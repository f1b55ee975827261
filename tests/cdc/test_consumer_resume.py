"""At-least-once: a consumer that dies (before confirming, or killed outright) loses nothing.

The simulator writes through the app role and keeps its ledger; consumers read the slot as
the replication role into files; the files, deduplicated by change sequence, must hold every
committed change of the simulated tenant, and replays must show up as counted duplicates.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from cdc.consumer import Consumer
from cdc.mapping import table_filter, tenant_columns
from cdc.sink import META_COLUMNS, OP_COLUMN
from cdc.workload.ledger import compare, read_captured
from cdc.workload.simulator import Simulator
from project.database import connect

pytestmark = pytest.mark.slow


class Crash(Exception):
    pass


class _NoConfirm:
    """A replication cursor whose flush confirmation dies: files durable, slot not advanced."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def send_feedback(self, **kwargs):
        if kwargs.get("flush_lsn"):
            raise Crash("consumer died after writing its files, before confirming")
        return self._cursor.send_feedback(**kwargs)

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)


class CrashingConsumer(Consumer):
    def _flush(self, cursor) -> None:
        super()._flush(_NoConfirm(cursor))


def _activity(sim: Simulator, operations: int) -> None:
    for _ in range(operations):
        sim.step()


def _compare(out: Path, sim: Simulator, tenant_id):
    sim.ledger.add({"tenancy_tenant": {"I": 1}})  # the tenant row itself, created after the slot
    captured = read_captured(out, {str(tenant_id)}, tenant_columns())
    return compare(sim.ledger, captured.distinct, captured.rows)


def test_crash_before_confirm_replays_as_counted_duplicates(committed, slot, tmp_path: Path) -> None:
    tenant = committed.tenant()
    sim = Simulator([tenant.id], seed=11)
    sim.prepare()
    _activity(sim, 60)
    first = CrashingConsumer(slot, tmp_path, tables=table_filter())
    with pytest.raises(Crash):
        first.run(once=True)
    written_before_crash = first.stats.rows
    assert written_before_crash > 0
    _activity(sim, 60)  # more changes while no consumer runs
    second = Consumer(slot, tmp_path, tables=table_filter())
    stats = second.run(once=True)
    assert stats.duplicate_rows == written_before_crash  # replayed, written again, counted
    result = _compare(tmp_path, sim, tenant.id)
    assert result.missing == 0 and result.unexpected == 0, result.per_table
    assert result.duplicates == written_before_crash
    assert result.captured == sim.ledger.total()
    # Third run: the slot was confirmed; nothing comes again.
    again = Consumer(slot, tmp_path, tables=table_filter()).run(once=True)
    assert again.rows == 0


def test_killed_consumer_process_loses_nothing(committed, slot, tmp_path: Path, django_db_setup: str) -> None:
    tenant = committed.tenant()
    sim = Simulator([tenant.id], seed=12)
    sim.prepare()
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "cdc_tail", "--skip-checks",
               "--slot", slot, "--out", str(tmp_path), "--dbname", django_db_setup, "--no-create",
               "--batch-interval", "0.05"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob("public/*/*.csv")):  # streaming and writing
            _activity(sim, 5)
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the consumer never wrote a file"
            time.sleep(0.05)
        _activity(sim, 100)
        process.send_signal(signal.SIGKILL)  # mid-stream, no chance to flush or confirm
        process.wait(timeout=30)
        _activity(sim, 100)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stats = Consumer(slot, tmp_path, tables=table_filter()).run(once=True)
    result = _compare(tmp_path, sim, tenant.id)
    assert result.missing == 0 and result.unexpected == 0, result.per_table
    assert result.captured == sim.ledger.total()
    # Replays the restarted consumer recognised are a subset of the duplicates in the files.
    assert result.duplicates >= stats.duplicate_rows


def test_simulator_survives_killed_connections(committed, slot, tmp_path: Path, django_db_setup: str) -> None:
    """Backends terminated mid-run: reconnect, settle in-flight transactions, count each once."""
    tenant = committed.tenant()
    sim = Simulator([tenant.id], seed=13)
    sim.prepare()
    admin = connect("admin", dbname=django_db_setup)
    admin.autocommit = True
    stop = threading.Event()

    def terminate() -> None:
        for _ in range(3):
            time.sleep(0.4)
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND usename = %s "
                    "AND pid <> pg_backend_pid()", [django_db_setup, settings.LAKEHOUSE_ROLES["app"]])
        stop.set()

    killer = threading.Thread(target=terminate)
    killer.start()
    try:
        summary = sim.run(seconds=5, rate_per_minute=0, should_stop=stop.is_set)
    finally:
        killer.join()
        admin.close()
    assert summary.reconnects >= 1
    assert summary.errors == 0, summary.last_errors
    Consumer(slot, tmp_path, tables=table_filter()).run(once=True)
    result = _compare(tmp_path, sim, tenant.id)
    assert result.missing == 0 and result.unexpected == 0, result.per_table


def test_parquet_output_holds_every_committed_change(committed, slot, tmp_path: Path) -> None:
    """``cdc_tail --format parquet``: same completeness as CSV; DMS types; NULL stays null."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tenant = committed.tenant()
    sim = Simulator([tenant.id], seed=21)
    sim.prepare()
    _activity(sim, 120)
    Consumer(slot, tmp_path, fmt="parquet", tables=table_filter()).run(once=True)
    files = sorted(tmp_path.glob("*/*/*.parquet"))
    assert files and not list(tmp_path.glob("*/*/*.csv")) and not list(tmp_path.glob("*/*/.*.tmp"))
    result = _compare(tmp_path, sim, tenant.id)
    assert result.missing == 0 and result.unexpected == 0, result.per_table
    assert result.captured == sim.ledger.total()
    customers = pa.concat_tables(
        [pq.read_table(p) for p in files if p.parent.name == "models_app_customer"], promote_options="default")
    assert customers.column_names[:3] == list(META_COLUMNS)
    assert all(customers.schema.field(name).type == pa.string() for name in META_COLUMNS)
    assert customers.schema.field("is_active").type == pa.bool_()
    assert customers.schema.field("created_at").type == pa.timestamp("ms")  # ParquetTimestampInMillisecond
    assert customers.schema.field("metadata").type == pa.string()  # JSON as its text
    assert all(len(seq) == 35 and seq.isdigit() for seq in customers.column("change_seq").to_pylist())
    assert set(customers.column(OP_COLUMN).to_pylist()) <= {"I", "U", "D"}
    phones = customers.column("phone").to_pylist()
    # The simulator leaves about 30% of new customers without a phone: NULL, not "".
    assert None in phones and "" not in phones
