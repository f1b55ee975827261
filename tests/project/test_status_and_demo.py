"""``status`` shows what is there; ``demo`` run again keeps the world it finds."""

from __future__ import annotations

import io
import json
import uuid

from django.core.management import call_command

from cdc.slots import drop_slot
from tenancy.models import Tenant


def _out(*args: str, **kwargs: object) -> str:
    buffer = io.StringIO()
    call_command(*args, stdout=buffer, **kwargs)
    return buffer.getvalue()


def test_status_counts_the_rows_of_every_tenant_table(committed, tmp_path) -> None:
    tenant = committed.tenant()
    (tmp_path / "public" / "tenancy_tenant").mkdir(parents=True)
    (tmp_path / "public" / "tenancy_tenant" / "LOAD00000001.parquet").write_bytes(b"x" * 10)
    status = json.loads(_out("status", "--json", "--landing", str(tmp_path)))
    rows = status["database"]["rows"]
    assert rows[Tenant._meta.db_table] >= 1 and status["database"]["tenants"] == rows[Tenant._meta.db_table]
    assert all(present for _, present in status["database"]["roles"].values())
    assert status["last_landing_file"]["path"].endswith("LOAD00000001.parquet")
    text = _out("status", "--landing", str(tmp_path / "missing"))
    assert "tenancy_tenant" in text and "no files in" in text and str(tenant.id) not in text


def test_demo_run_again_keeps_the_existing_world_and_proves_the_lake(committed, replication_conn, tmp_path) -> None:
    tenant = committed.tenant()
    lake = tmp_path / "lake"
    # Slot names are cluster-wide: a slot of its own, so a developer's `make demo` slot is untouched.
    slot = f"demo_test_{uuid.uuid4().hex[:8]}"
    try:
        text = _out("demo", verbosity=0, lake=str(lake), slot=slot, simulate_seconds=1)
        drop_slot(slot)  # as `cdc_slots --drop` would: the landed files now have a gap
        again = _out("demo", verbosity=0, lake=str(lake), slot=slot, simulate_seconds=0)
    finally:
        drop_slot(slot)
    assert f"the slot {slot} of" in again and "is gone" in again and "new full load" in again, again
    assert "the lake equals the source" in again, again
    assert "Keeping the existing world" in text and "make reseed" in text
    assert "the lake equals the source" in text, text
    assert (lake / "report.html").is_file() and (lake / "lake.html").is_file()
    assert any((lake / "landing" / "public" / Tenant._meta.db_table).glob("LOAD00000001.*"))
    with replication_conn.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Tenant._meta.db_table} WHERE id = %s", [tenant.id])
        assert cursor.fetchone()[0] == 1
