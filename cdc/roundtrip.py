"""``cdc_check``: the simulator and the consumer together, and nothing may be missing.

1. a fresh, uniquely named slot is created (before any simulated write, so all are in it);
2. ``cdc_tail`` runs in a separate process (its own interpreter: no GIL shared with the
   simulator) writing to a scratch folder;
3. the simulator runs for N seconds at the requested rate, optionally while PostgreSQL is
   restarted halfway;
4. the consumer is asked to stop after draining everything committed so far;
5. the files are read back and compared with the simulator's ledger, per table and
   operation, for the simulated tenants only (every row carries ``tenant_id``);
6. the slot is dropped, so no WAL stays retained.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from cdc.mapping import tenant_columns
from cdc.slots import create_slot, drop_slot
from cdc.workload import CATEGORIES, run_workers
from cdc.workload.ledger import compare, percentile, read_captured
from project.database import current_database_name, local_server


class CheckError(RuntimeError):
    """The check could not run (not: the check found something missing)."""


def _consumer_command(slot: str, out: Path, dbname: str, batch_interval: float) -> list[str]:
    manage = Path(settings.BASE_DIR) / "manage.py"
    return [sys.executable, str(manage), "cdc_tail", "--slot", slot, "--out", str(out), "--dbname", dbname,
            "--no-create", "--drain-on-stop", "--json", "--batch-interval", str(batch_interval)]


def run_check(*, seconds: float, rate_per_minute: float, tenant_ids: list[uuid.UUID], workers: int = 2,
              operations: tuple[str, ...] = CATEGORIES, seed: int | None = None, out_dir: Path | None = None,
              restart_postgres: bool = False, consumer_timeout: float = 180.0, batch_interval: float = 10.0,
              log: Any = lambda _m: None) -> dict[str, Any]:
    dbname = current_database_name()
    slot = f"cdc_check_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    scratch = None
    if out_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="cdc_check_")
        out_dir = Path(scratch.name)
    create_slot(slot, dbname)
    consumer: subprocess.Popen[str] | None = None
    restart_info: dict[str, Any] = {}
    try:
        consumer = subprocess.Popen(_consumer_command(slot, out_dir, dbname, batch_interval),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    cwd=str(settings.BASE_DIR))
        restarter = None
        if restart_postgres:
            restarter = threading.Timer(seconds / 2, _restart_server, args=(restart_info, log))
            restarter.start()
        log(f"simulating for {seconds:g} s at {rate_per_minute:g} ops/min with {workers} workers; slot {slot}")
        # A stepped clock (time_scale=None): the tenants' world runs as fast as the rate allows,
        # so the benchmark's operations keep the seeded mix (not real-time pacing plus housekeeping).
        summary = run_workers(tenant_ids, workers=workers, operations=operations, seed=seed, seconds=seconds,
                              rate_per_minute=rate_per_minute, time_scale=None)
        if summary.failure:
            raise CheckError(f"the simulator stopped early: {summary.failure}")
        if restarter is not None:
            restarter.join()
        if consumer.poll() is not None:
            raise CheckError(f"cdc_tail exited early ({consumer.returncode}): {consumer.stderr.read()[-500:]}")
        log("simulation done; draining the consumer")
        drain_started = time.monotonic()
        consumer.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = consumer.communicate(timeout=consumer_timeout)
        except subprocess.TimeoutExpired as exc:
            consumer.kill()
            raise CheckError(f"cdc_tail did not drain within {consumer_timeout:g} s") from exc
        drain_seconds = time.monotonic() - drain_started
        if consumer.returncode != 0:
            raise CheckError(f"cdc_tail failed ({consumer.returncode}): {stderr.strip()[-500:]}")
        consumer_stats = json.loads(stdout)["cdc"]
    finally:
        if consumer is not None and consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        drop_slot(slot, dbname)
    wanted = {str(t) for t in tenant_ids}
    captured = read_captured(out_dir, wanted, tenant_columns())
    comparison = compare(summary.ledger, captured.distinct, captured.rows)
    sim = summary.as_dict()
    result: dict[str, Any] = {
        "passed": comparison.ok,
        "seconds": sim["seconds"], "rate_requested_per_minute": rate_per_minute, "workers": workers,
        "operations": sim["operations"], "ops_per_second": sim["ops_per_second"],
        "row_changes": summary.ledger.total(),
        "captured": comparison.captured, "missing": comparison.missing, "duplicates": comparison.duplicates,
        "unexpected": comparison.unexpected,
        "lag_p50_seconds": _round(percentile(captured.lag_seconds, 50)),
        "lag_p95_seconds": _round(percentile(captured.lag_seconds, 95)),
        "drain_seconds": round(drain_seconds, 3), "batch_interval_seconds": batch_interval,
        "restart_postgres": restart_info or None,
        "simulator": {k: sim[k] for k in (
            "by_type", "errors", "retries", "reconnects", "in_doubt", "in_doubt_committed", "last_errors")},
        "consumer": {k: consumer_stats[k] for k in (
            "transactions", "rows", "duplicate_rows", "reconnects", "files", "flushes", "ended_by",
            "lag_p50_seconds", "lag_p95_seconds")},
        "other_tenant_rows_ignored": captured.other_tenant_rows,
        "tables": comparison.per_table,
        "slot": slot, "database": dbname,
    }
    if scratch is not None:
        scratch.cleanup()
    else:
        result["out"] = str(out_dir)
    return result


def _restart_server(info: dict[str, Any], log: Any) -> None:
    started = time.monotonic()
    log("restarting PostgreSQL (immediate mode)")
    try:
        local_server().restart()
        info.update({"restarted": True, "seconds": round(time.monotonic() - started, 3)})
    except Exception as exc:  # reported in the result, the comparison still runs
        info.update({"restarted": False, "error": str(exc)[:300]})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
