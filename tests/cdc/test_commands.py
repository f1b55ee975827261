"""The commands end to end: cdc_check finds nothing missing; bad input is a clear CommandError."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cdc.mapping import replicated_tables
from cdc.slots import list_slots


@pytest.mark.slow
def test_cdc_check_reports_nothing_missing(committed, django_db_setup: str) -> None:
    tenants = [committed.tenant(), committed.tenant()]
    out = StringIO()
    call_command("cdc_check", seconds=5, rate=6000, workers=2, json=True, pgbench_seconds=0,
                 tenants=",".join(t.slug for t in tenants), seed=3, stdout=out)
    result = json.loads(out.getvalue())
    assert result["passed"] is True
    assert result["missing"] == 0 and result["unexpected"] == 0
    assert result["operations"] > 100
    assert result["captured"] == result["row_changes"] > result["operations"]
    assert result["lag_p95_seconds"] is not None
    assert set(result["simulator"]["by_type"]) == {"orders", "events", "updates", "customers", "payments",
                                                   "deletes"}
    assert result["tables"]["models_app_orderitem"]["D"]["captured"] > 0  # deletes reached the consumer too
    assert all(slot.slot_name != result["slot"] for slot in list_slots(django_db_setup))  # dropped


@pytest.mark.parametrize(("command", "options", "message"), [
    ("simulate_activity", {"operations": "orders,refunds"}, "Unknown operation"),
    ("simulate_activity", {"duration": -1}, "--duration"),
    ("simulate_activity", {"tenants": "no-such-tenant"}, "cannot be simulated"),
    ("cdc_check", {"seconds": 0}, "--seconds"),
    ("cdc_check", {"workers": 0}, "--workers"),
    ("cdc_tail", {"batch_interval": 0}, "--batch-interval"),
])
@pytest.mark.django_db
def test_bad_input_is_a_command_error(command: str, options: dict, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(command, **options)


@pytest.mark.django_db
def test_dms_config_covers_the_registry() -> None:
    out = StringIO()
    call_command("dms_config", json=True, stdout=out)
    config = json.loads(out.getvalue())
    endpoint = config["source_endpoint"]
    assert "PluginName=test_decoding" in endpoint["ExtraConnectionAttributes"]
    assert "captureDDLs=false" in endpoint["ExtraConnectionAttributes"]
    assert endpoint["PostgreSQLSettings"]["HeartbeatSchema"] == "dms"
    rules = config["table_mappings"]["rules"]
    included = {r["object-locator"]["table-name"] for r in rules
                if r["rule-type"] == "selection" and r["rule-action"] == "include"}
    assert included == {t.table for t in replicated_tables()}
    assert "tenancy_tenant" in included
    excluded = {r["object-locator"]["table-name"] for r in rules if r.get("rule-action") == "exclude"}
    assert excluded == {"django_%", "auth_%"}
    assert any(r["rule-type"] == "transformation" and r["rule-action"] == "add-column" for r in rules)


def test_cdc_slots_lists_and_drops(slot: str, committed) -> None:
    committed.tenant()  # some WAL after the slot's restart point
    out = StringIO()
    call_command("cdc_slots", json=True, stdout=out)
    listed = {s["slot_name"]: s for s in json.loads(out.getvalue())}
    assert listed[slot]["plugin"] == "test_decoding"
    assert listed[slot]["retained_bytes"] is not None
    assert "inactive (no consumer connected)" in listed[slot]["warnings"]
    out = StringIO()
    call_command("cdc_slots", json=True, warn_mb=0, stdout=out)
    assert any("retains" in w for s in json.loads(out.getvalue()) if s["slot_name"] == slot for w in s["warnings"])
    with pytest.raises(CommandError, match="no slot named"):
        call_command("cdc_slots", drop="no_such_slot_here")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("CDC_RESTART_TEST") != "1",
                    reason="restarts the shared local PostgreSQL server; set CDC_RESTART_TEST=1 to run")
def test_cdc_check_survives_a_postgres_restart(committed) -> None:
    tenant = committed.tenant()
    out = StringIO()
    call_command("cdc_check", seconds=8, rate=6000, workers=2, json=True, pgbench_seconds=0,
                 tenants=tenant.slug, restart_postgres=True, stdout=out)
    result = json.loads(out.getvalue())
    assert result["restart_postgres"]["restarted"] is True
    assert result["simulator"]["reconnects"] >= 1 and result["consumer"]["reconnects"] >= 1
    assert result["missing"] == 0 and result["passed"] is True
