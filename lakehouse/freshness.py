"""CDC → Silver freshness with the local DMS task and ``lake_build --follow`` running together.

The DMS task (``cdc.task.run_task``) does its full load, then follows the slot in one thread while
the lake follows the landing in another and the workload simulator writes as the app role. Each
CDC row applied to Silver records commit → visible (``lake_meta.freshness``); afterwards the task
drains, the lake catches up and ``lake_verify`` must still pass, or the figure is worthless.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

from analytics import list_tenants
from cdc.slots import drop_slot
from cdc.targets import open_target
from cdc.task import S3Profile, run_task
from cdc.workload.simulator import Simulator
from lakehouse import sql
from lakehouse.build import build, follow
from lakehouse.silver import connect
from lakehouse.verify import verify


def _lags_since(warehouse: Path, build_id: int) -> dict[str, Any]:
    con = connect(warehouse, read_only=True)
    try:
        n, p50, p95, worst = con.execute(sql.FRESHNESS_SINCE, [build_id]).fetchall()[0]
    finally:
        con.close()
    return {"cdc_rows": n, "p50_seconds": p50, "p95_seconds": p95, "max_seconds": worst}


def measure(conn, dbname: str, work: Path, *, seconds: float, batch_interval: float = 1.0,
            poll: float = 0.5) -> dict[str, Any]:
    """Run task + follow + activity for ``seconds``; returns the freshness figures and the verify verdict."""
    landing, warehouse = work / "dms-landing", work / "dms-warehouse"
    slot = f"lake_fresh_{uuid.uuid4().hex[:10]}"
    store = open_target(str(landing))
    profile = S3Profile(fmt="parquet", batch_interval=batch_interval)
    try:
        started = time.perf_counter()
        run_task(store, slot, dbname, profile, once=True, verbosity=0)
        out: dict[str, Any] = {"dms_full_load_seconds": time.perf_counter() - started,
                               "batch_interval_seconds": batch_interval, "poll_seconds": poll}
        first = build(str(landing), warehouse)
        stop = threading.Event()
        errors: list[BaseException] = []

        def guarded(fn, *args, **kwargs) -> None:
            try:
                fn(*args, **kwargs)
            except BaseException as exc:  # reported below; a dead thread must not pass silently
                errors.append(exc)
                stop.set()

        threads = [
            threading.Thread(target=guarded, args=(run_task, store, slot, dbname, profile),
                             kwargs={"should_stop": stop.is_set, "drain_on_stop": True, "verbosity": 0}),
            threading.Thread(target=guarded, args=(follow, str(landing), warehouse),
                             kwargs={"interval": poll, "until": stop.is_set}),
        ]
        for thread in threads:
            thread.start()
        tenants = [t.id for t in list_tenants(conn) if t.is_active]
        simulator = Simulator(tenants, seed=1)
        simulator.prepare()
        deadline = time.monotonic() + seconds
        operations = 0
        while time.monotonic() < deadline and not stop.is_set():
            simulator.step()
            operations += 1
        time.sleep(batch_interval + 2 * poll)
        stop.set()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        out["operations"] = operations
        out["tenants"], out["simulator_errors"] = len(tenants), simulator.errors
        out.update(_lags_since(warehouse, first.build_id))
        run_task(store, slot, dbname, profile, once=True, verbosity=0)
        build(str(landing), warehouse)
        out["verify_ok"] = verify(conn, warehouse).ok
        return out
    finally:
        drop_slot(slot, dbname)
