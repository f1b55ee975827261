"""The workload keeps the seeded world true; ``simulate_activity`` refuses bad input and stops cleanly.

The test suite's small world (three tenants) is seeded with a window ending today, then two simulated days run on
a stepped clock (as fast as the database allows): the order status mix, the funnel, the
70/30 repeat-buyer rule and every integrity rule must still hold as ``seed_report`` checks
them, orders must have moved through their lifecycle, and the days must add about their days'
orders (not a spike). The command tests feed bad options and interrupt a running process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from cdc.workload.pace import Clock, Urn
from cdc.workload.selection import create_simulation_tenant
from cdc.workload.simulator import T_ORDER, Simulator
from cdc.workload.sql import TEMPLATES, statements
from cdc.workload.workers import MAX_WORKERS, worker_groups
from project.database import connect
from seeding import distributions as D
from seeding import realism, seed_report
from seeding.engine import existing_tenants
from seeding.generators import events
from tests.seeding.conftest import TABLES, WORLD, purge_all, seed_all

#: Two days: long enough for orders to complete (the seeder's fulfilment lag is ~40 hours).
SIMULATED_HOURS = 48


def _counts() -> dict[str, int]:
    """Rows per table across tenants, read through the replication role."""
    conn = connect("replication")
    try:
        with conn.cursor() as cursor:
            out = {}
            for name in TABLES:
                cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 (fixed names)
                out[name] = cursor.fetchone()[0]
            return out
    finally:
        conn.close()


def _orders_per_day() -> dict[dt.date, int]:
    conn = connect("replication")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT (order_date AT TIME ZONE 'UTC')::date, count(*) FROM {T_ORDER} GROUP BY 1")
            return dict(cursor.fetchall())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def simulated_world(django_db_setup, django_db_blocker) -> Iterator[dict]:
    """The small world (its window ending today), before and after a simulated day."""
    today = dt.datetime.now(dt.UTC).date()
    with django_db_blocker.unblock():
        purge_all()
        seed_all(**{**WORLD, "start_date": (today - dt.timedelta(days=WORLD["days"])).isoformat()})
        try:
            before = seed_report.build()
            sim = Simulator([t.id for t in existing_tenants()], seed=5, time_scale=None)
            summary = sim.run(seconds=300, rate_per_minute=0, simulated_seconds=SIMULATED_HOURS * 3600)
            yield {"before": before, "after": seed_report.build(), "summary": summary, "sim": sim,
                   "per_day": _orders_per_day(), "today": today}
        finally:
            purge_all()


@pytest.mark.slow
def test_simulated_day_keeps_every_realism_check(simulated_world) -> None:
    summary = simulated_world["summary"]
    assert summary.errors == 0, summary.last_errors
    assert summary.simulated_seconds >= SIMULATED_HOURS * 3600
    checks = {c["name"]: c for c in simulated_world["after"]["checks"]}
    wanted = [f"order status {s}" for s in D.ORDER_STATUS_MIX]
    wanted += [f"funnel {a}->{b}" for a, b in zip(D.FUNNEL_STEPS, D.FUNNEL_STEPS[1:], strict=False)]
    wanted += ["orders from top 30% customers", "items per order"]
    wanted += [name for name in checks if name.startswith(("orders from top 30% customers (", "AOV "))]
    failing = {name: checks[name] for name in wanted if not checks[name]["ok"]}
    assert failing == {}
    # And no figure moved by more than a third of its tolerance in two days.
    seeded = {c["name"]: c for c in simulated_world["before"]["checks"]}
    moved = {name: (seeded[name]["value"], checks[name]["value"]) for name in wanted
             if isinstance(checks[name]["target"], float)
             and abs(checks[name]["value"] - seeded[name]["value"]) > checks[name]["tolerance"] / 3}
    assert moved == {}
    assert {k: v for k, v in simulated_world["after"]["integrity"].items() if v} == {}


@pytest.mark.slow
def test_orders_move_through_their_lifecycle_within_hours(simulated_world) -> None:
    live = simulated_world["after"]["generated"]
    assert live["live_orders"] > 0
    shares = live["live_order_status_shares"]
    # Two days in: most orders are being processed, the first day's are completing, a few
    # are cancelled; not a pile of pending ones.
    assert shares["processing"] > shares["pending"]
    assert shares["completed"] > 0
    assert simulated_world["summary"].operations["orders"] > live["live_orders"]


@pytest.mark.slow
def test_simulated_days_add_about_their_days_of_orders(simulated_world) -> None:
    per_day = dict(simulated_world["per_day"])
    today = per_day.pop(simulated_world["today"], 0)
    recent = sorted(n for day, n in per_day.items() if day >= simulated_world["today"] - dt.timedelta(days=30))
    median = recent[len(recent) // 2]
    days = SIMULATED_HOURS / 24
    assert 0.25 * median * days <= today <= 2.5 * median * days, (today, median)


@pytest.mark.slow
def test_simulated_rows_use_the_seeded_vocabulary(simulated_world) -> None:
    conn = connect("replication")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT order_number, metadata ->> 'channel' FROM {T_ORDER} "
                           "WHERE order_date >= (now() AT TIME ZONE 'UTC')::date")
            rows = cursor.fetchall()
            cursor.execute("SELECT DISTINCT event_type FROM models_app_event")
            types = {r[0] for r in cursor.fetchall()}
            cursor.execute(f"SELECT count(*), min(order_number), max(order_number) FROM {T_ORDER} GROUP BY tenant_id")
            numbering = cursor.fetchall()
            cursor.execute("SELECT invoice_number FROM models_app_invoice WHERE issue_date = current_date")
            invoices = [r[0] for r in cursor.fetchall()]
    finally:
        conn.close()
    channels = {D.WEB_CHANNEL} | {c for c, _ in D.UNTRACKED_CHANNELS}
    assert rows and all(number.startswith("ORD-") and len(number) == 11 for number, _c in rows)
    assert {c for _n, c in rows} <= channels
    assert types <= set(D.EVENT_TYPES) and set(events.TYPES) == set(D.EVENT_TYPES)
    # Each tenant's orders are numbered ORD-0100001 ... without a gap: the workload carries on the seeded count.
    assert numbering and all((low, high) == (D.order_number(0), D.order_number(n - 1)) for n, low, high in numbering)
    today = dt.datetime.now(dt.UTC).date()
    assert all(number.startswith(f"INV-{today:%Y%m}-") and len(number) == 17 for number in invoices)


def test_sql_names_come_from_the_models() -> None:
    rendered = statements()
    assert not any("models_app_" in t for t in TEMPLATES.values())
    assert "models_app_order" in rendered.insert_order and "order_number" in rendered.insert_order
    assert rendered is statements()  # built once per process


def test_urn_keeps_repeat_buyers_repeating() -> None:
    urn = Urn(random.Random(1), smoothing=0.5)
    for i in range(100):
        urn.add(i, 20 if i < 30 else 3)  # the top 30% hold 70% of past orders (600 / 810 ≈ 0.74)
    draws = [urn.draw() for _ in range(5000)]
    top_share = sum(1 for d in draws if d < 30) / len(draws)
    assert abs(top_share - 0.70) < 0.05


def test_clock_refuses_a_nonsense_scale() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            Clock(bad)


def test_worker_groups_never_share_a_tenant() -> None:
    tenants = list(range(3))
    assert worker_groups(tenants, 8) == [[0], [1], [2]]
    with pytest.raises(ValueError):
        worker_groups(tenants, MAX_WORKERS + 1)


# -- the command: bad input changes nothing ----------------------------------------------
@pytest.fixture
def committed_db(django_db_setup, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        purge_all()
        try:
            yield django_db_setup
        finally:
            purge_all()


BAD_INPUT = [
    ({"duration": float("nan")}, "--duration must be a finite number"),
    ({"duration": float("inf")}, "--duration must be a finite number"),
    ({"rate": -5}, "--rate must be a finite number"),
    ({"time_scale": float("nan")}, "--time-scale must be a finite number"),
    ({"workers": 0}, "--workers must be between 1 and"),
    ({"workers": 1000}, "--workers must be between 1 and"),
    ({"operations": "orders,refunds"}, "Unknown operation"),
    ({"ledger": "/nonexistent/dir/l.json"}, "does not exist"),
    ({"ledger": "/tmp"}, "is a directory"),
    ({"ledger": "/proc/ledger.json"}, "cannot be written"),
]


@pytest.mark.parametrize(("options", "message"), BAD_INPUT)
def test_bad_input_is_one_sentence_and_changes_nothing(committed_db, options: dict, message: str) -> None:
    before = _counts()
    with pytest.raises(CommandError) as raised:
        call_command("simulate_activity", **options)
    text = str(raised.value)
    assert message in text
    assert text.count(". ") == 0 and text.endswith("."), text  # one sentence
    assert _counts() == before  # no tenant created, nothing written


def test_bad_input_exits_non_zero(committed_db) -> None:
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "simulate_activity", "--workers", "0"],
        env={**os.environ, "DATABASE_NAME": committed_db}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["CommandError: --workers must be between 1 and 64 (got 0)."]


# -- the command: an interrupted run's summary is what committed -------------------------
@pytest.mark.slow
def test_interrupted_run_reports_exactly_what_committed(committed_db, tmp_path: Path) -> None:
    call_command("seed_all", verbosity=0, workers=1, tenants=2, scale="small", seed=3, days=30)
    before = _counts()
    ledger = tmp_path / "ledger.json"
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "simulate_activity", "--duration", "0",
               "--rate", "0", "--time-scale", "0", "--workers", "2", "--seed", "9", "--ledger", str(ledger),
               "--json"]
    process = subprocess.Popen(command, env={**os.environ, "DATABASE_NAME": committed_db}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while _counts()["models_app_event"] == before["models_app_event"]:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the simulation never wrote"
            time.sleep(0.2)
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # a second Ctrl-C: still no traceback
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "stopping after the operations in flight" in stderr
    summary = json.loads(stdout)
    assert summary["interrupted"] is True and json.loads(ledger.read_text()) == summary
    after = _counts()
    for name in TABLES[1:]:
        changes = summary["ledger"].get(name, {"I": 0, "D": 0})
        assert after[name] - before[name] == changes["I"] - changes["D"], name
    assert summary["operations"] > 0


def test_report_lists_the_per_tenant_repeat_check() -> None:
    fig = {"order_status_shares": dict.fromkeys(D.ORDER_STATUS_MIX, 0.0), "repeat_top_order_share": 0.7,
           "items_per_order": 3.0, "funnel_step_conversion": {}, "mrr": 1.0,
           "orders_time": {"period_shares": dict.fromkeys(D.PERIOD_BAND_LABELS), "weekend_ratio": None,
                           "month_end_uplift": None},
           "events_time": {"period_shares": dict.fromkeys(D.PERIOD_BAND_LABELS), "weekend_ratio": None,
                           "month_end_uplift": None}}
    fig["funnel_step_conversion"] = {f"{a}->{b}": c for a, b, c in zip(D.FUNNEL_STEPS, D.FUNNEL_STEPS[1:],
                                                                         D.FUNNEL_CONTINUE, strict=False)}
    found = {c.name: c.ok for c in realism.checks(fig, per_tenant_repeat={"a": 0.72, "b": 0.45})}
    assert found["orders from top 30% customers (a)"] is True
    assert found["orders from top 30% customers (b)"] is False


@pytest.mark.parametrize(("verbosity", "shown"), [(0, False), (1, True)])
def test_progress_respects_verbosity(committed_db, capsys, verbosity: int, shown: bool) -> None:
    call_command("simulate_activity", duration=0.01, rate=600, seed=1, workers=3, verbosity=verbosity,
                 stdout=StringIO())
    err = capsys.readouterr().err
    assert ("simulating 1 tenant(s) with 1 worker(s)" in err) is shown
    assert "running 1 worker(s), not 3" in err  # a warning shows at every verbosity


def test_status_output_is_json_when_asked(committed_db) -> None:
    """A short real-time run on a fresh database creates its tenant and prints its ledger."""
    out = StringIO()
    call_command("simulate_activity", duration=0.02, rate=600, seed=1, json=True, verbosity=0, stdout=out)
    result = json.loads(out.getvalue())
    assert result["operations"] > 0 and result["failure"] is None and result["interrupted"] is False


@pytest.mark.slow
def test_database_going_away_gives_the_summary_and_one_sentence(committed_db) -> None:
    """The app role is shut out of the database mid-run: what committed is printed, then one sentence."""
    admin = connect("admin", dbname=committed_db)
    admin.autocommit = True

    def shut_out() -> None:
        time.sleep(2.0)
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{committed_db}" CONNECTION LIMIT 0')
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                           "AND usename = %s AND pid <> pg_backend_pid()",
                           [committed_db, settings.LAKEHOUSE_ROLES["app"]])

    cutter = threading.Thread(target=shut_out)
    out = StringIO()
    cutter.start()
    try:
        with pytest.raises(CommandError) as raised:
            call_command("simulate_activity", duration=1, rate=0, time_scale=0, reconnect_timeout=1, seed=4,
                         json=True, verbosity=0, stdout=out)
    finally:
        cutter.join()
        with admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{committed_db}" CONNECTION LIMIT -1')
        admin.close()
    assert "the database went away" in str(raised.value) and str(raised.value).count("\n") == 0
    summary = json.loads(out.getvalue())
    assert summary["failure"] and summary["operations"] > 0


def test_unreachable_database_is_one_sentence(django_db_setup) -> None:
    nowhere = "postgresql://nobody@127.0.0.1:1/nowhere"
    env = {**os.environ, **{name: nowhere for name in (
        "DATABASE_URL", "DATABASE_REPLICATION_URL", "DATABASE_OWNER_URL", "DATABASE_ADMIN_URL")}}
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "simulate_activity", "--duration", "0.01"],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("CommandError: Cannot reach the database") and "dbserver start" in last


def test_a_trial_ends_converted_or_expired(committed_db) -> None:
    """Subscriptions start as trials and, TRIAL_DAYS later, convert or expire (never stay trials)."""
    tenant_id = create_simulation_tenant()
    sim = Simulator([tenant_id], seed=2, time_scale=None)
    sim.prepare()
    state = sim.states[0]
    outcomes = set()
    for _ in range(30):  # 85% convert: 30 trials all converting has odds below 1%
        sim._run_op("customers", state, sim._new_subscription)
        sid = state.subscriptions[-1]
        due = max(d for d in state.agenda._heap if d.kind == "trial_end" and d.payload == sid)
        assert due.at - sim.clock.now() >= D.TRIAL_DAYS * 86400 - 1
        sim._run_op("payments", state, lambda c, s, sid=sid: sim._end_trial(c, s, sid))
        conn = connect("replication")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT status, end_date IS NULL FROM models_app_subscription WHERE id = %s", [sid])
                outcomes.add(cursor.fetchone())
        finally:
            conn.close()
    assert outcomes == {("active", True), ("expired", False)}
    assert sim.errors == 0, sim.last_errors
