"""End to end with the local DMS task: full load + CDC of simulated activity → lake_verify equal; a lost
CDC file (with a DELETE) is caught.

The task writes as DMS does (typed Parquet, exact-cut full load, batched CDC); the lake reads only
those files; the proof compares with the source as the replication role.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdc.landing import read_landing_file
from cdc.slots import drop_slot
from cdc.targets import open_target
from cdc.task import S3Profile, run_task
from cdc.workload.simulator import Simulator
from lakehouse.build import build
from lakehouse.freshness import measure
from lakehouse.verify import verify
from models_app.models import Customer
from tenancy import tenant_context
from tests.factories import CustomerFactory


@pytest.fixture
def task_slot(django_db_setup: str) -> Iterator[str]:
    name = f"lake_{uuid.uuid4().hex[:12]}"
    yield name
    drop_slot(name, django_db_setup)


def test_dms_task_landing_verifies_and_a_lost_delete_is_caught(committed, task_slot: str, django_db_setup: str,
                                                                 replication_conn, tmp_path: Path) -> None:
    tenant = committed.tenant()
    sim = Simulator([tenant.id], seed=7)
    sim.prepare()
    for _ in range(30):
        sim.step()
    with tenant_context(tenant.id):
        doomed = CustomerFactory()
    landing = tmp_path / "landing"
    store = open_target(str(landing))
    run_task(store, task_slot, django_db_setup, S3Profile(fmt="parquet"), once=True, verbosity=0)
    for _ in range(60):  # activity after the full load: inserts, updates and deletes through the slot
        sim.step()
    with tenant_context(tenant.id):
        Customer.objects.filter(id=doomed.id).delete()
    run_task(store, task_slot, django_db_setup, S3Profile(fmt="parquet"), once=True, verbosity=0)

    build(str(landing), tmp_path / "wh")
    result = verify(replication_conn, tmp_path / "wh")
    assert result.ok, result.as_dict()
    assert result.freshness["cdc_rows"] > 0 and result.metrics_checked == 20

    # Negative control: the CDC file holding the customer's DELETE never arrives.
    [with_delete] = [p for p in (landing / "public" / "models_app_customer").glob("2*.parquet")
                     if str(doomed.id) in read_landing_file(p).column("id").to_pylist()]
    broken = tmp_path / "broken"
    shutil.copytree(landing, broken)
    (broken / with_delete.relative_to(landing)).unlink()
    build(str(broken), tmp_path / "wh-broken", with_gold=False)
    bad = verify(replication_conn, tmp_path / "wh-broken", with_metrics=False)
    customer = [c for c in bad.table_differences if c.table == "models_app_customer"]
    assert customer and str(doomed.id) in customer[0].extra_in_lake


def test_freshness_with_task_and_follow_running_together(committed, django_db_setup: str, replication_conn,
                                                         tmp_path: Path) -> None:
    committed.tenant()
    result = measure(replication_conn, django_db_setup, tmp_path, seconds=2.0, batch_interval=0.2, poll=0.1)
    assert result["verify_ok"] and result["operations"] > 0 and result["tenants"] >= 1
    assert result["simulator_errors"] == 0
    assert result["cdc_rows"] > 0 and 0 <= result["p50_seconds"] <= result["p95_seconds"] <= result["max_seconds"]
