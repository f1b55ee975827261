"""Seeding behaviour: determinism, reruns, --clean, cleanup with DELETE, atomicity, RLS."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from io import StringIO

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from seeding import loader as loader_module
from seeding.copytext import uuid7_bytes
from seeding.distributions import Window
from seeding.engine import batches_for, existing_tenants
from seeding.generators.base import Batch
from seeding.world import WorldSpec
from tenancy import tenant_context
from tenancy.ids import uuid7
from tests.seeding.conftest import START, TABLES, TINY, digest, payload_digest, rows_of, seed_all

TWO = {**TINY, "tenants": 2}


def _spec(**kw) -> WorldSpec:
    opts = {**TINY, **kw}
    return WorldSpec(seed=opts["seed"], scale=opts["scale"], tenants=opts["tenants"],
                     window=Window(dt.date.fromisoformat(opts["start_date"]), opts["days"]))


# --- generation (no database) ---------------------------------------------------------------


def test_vectorised_uuid7_matches_tenancy_ids():
    rng = np.random.default_rng(3)
    ts = rng.integers(1_600_000_000_000, 1_800_000_000_000, 50)
    rand = rng.integers(0, 256, (50, 10), dtype=np.uint8)
    raw = uuid7_bytes(ts, rand)
    for i in range(50):
        assert raw[i].tobytes() == uuid7(int(ts[i]), rand[i].tobytes()).bytes


def test_generation_is_deterministic_and_independent_of_batch_size():
    spec = _spec()
    plan = spec.plans[0]
    units = ("customers", "products", "subscriptions", "orders", "events", "invoices")
    first = payload_digest(batches_for(spec, plan, units, 50_000))
    assert payload_digest(batches_for(_spec(), _spec().plans[0], units, 50_000)) == first

    def joined(size):
        out: dict[str, bytes] = {}
        for b in batches_for(spec, plan, units, size):
            out[b.table] = out.get(b.table, b"") + b.payload
        return out

    assert joined(50_000) == joined(777)
    assert payload_digest(batches_for(_spec(seed=8), _spec(seed=8).plans[0], units, 50_000)) != first


# --- options --------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "fragment"), [
    ({"scale": "huge"}, "--scale must be one of small, medium, large"),
    ({"tenants": "0"}, "--tenants must be a whole number between 1 and"),
    ({"tenants": "many"}, "--tenants must be a whole number"),
    ({"days": "3"}, "--days must be a whole number of days between 7 and"),
    ({"start_date": "01/02/2025"}, "--start-date must be a date written YYYY-MM-DD"),
    ({"start_date": (dt.date.today() - dt.timedelta(days=10)).isoformat()}, "cannot be in the future"),
    ({"workers": "0"}, "--workers must be a whole number between 1 and"),
    ({"batch_size": "5"}, "--batch-size must be a whole number between 100 and"),
    ({"seed": "-1"}, "--seed must be an integer between 0 and"),
    ({"tenant": "no-such-shop", **TINY}, "is not a tenant of this world"),
])
def test_bad_values_raise_command_error(options, fragment):
    with pytest.raises(CommandError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        call_command("seed_all", verbosity=0, **options)


# --- database -------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows_and_workers_do_not_matter(seeding_db, replication_conn):
    seed_all(**TWO)
    first = digest(replication_conn)
    assert all(not v.startswith("0:") for v in first.values()), first
    seed_all(**TWO, clean=True, workers=2, batch_size=1000)
    assert digest(replication_conn) == first


def test_unit_commands_build_the_same_world_as_seed_all(seeding_db, replication_conn):
    seed_all(**TINY)
    reference = digest(replication_conn)
    call_command("cleanup_data", verbosity=0, yes=True)
    assert digest(replication_conn)["tenancy_tenant"].startswith("0:")
    for unit in ("tenants", "customers", "products", "subscriptions", "orders", "events", "invoices"):
        call_command(f"seed_{unit}", verbosity=0, workers=1, **TINY)
    assert digest(replication_conn) == reference


def test_unit_command_needs_its_parents(seeding_db):
    with pytest.raises(CommandError, match="does not exist yet: run seed_tenants"):
        call_command("seed_orders", verbosity=0, **TINY)
    call_command("seed_tenants", verbosity=0, **TINY)
    with pytest.raises(CommandError, match="has no customers, products yet"):
        call_command("seed_orders", verbosity=0, **TINY)


def test_rerun_carries_on_and_other_options_are_refused(seeding_db, replication_conn):
    seed_all(**TWO, tenant=_spec(tenants=2).plans[1].slug)
    seed_all(**TWO)  # carries on with the missing tenant, leaves the existing one alone
    both = digest(replication_conn)
    seed_all(**TWO, clean=True)
    assert digest(replication_conn) == both
    with pytest.raises(CommandError, match="generated tenants made with other options"):
        seed_all(**{**TWO, "seed": 99})
    seed_all(**{**TWO, "seed": 99}, clean=True)
    assert {t.fingerprint["seed"] for t in existing_tenants()} == {99}


def test_cleanup_data_deletes_with_delete_never_truncate(seeding_db, replication_conn):
    seed_all(**TINY)
    statements: list[str] = []

    def spy(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        call_command("cleanup_data", verbosity=0, batch_size=500, yes=True)
    assert not any("TRUNCATE" in s.upper() for s in statements)
    deletes = [s for s in statements if "DELETE FROM models_app_event" in s]
    assert len(deletes) > 1, "events are deleted in several batches"
    assert all(v.startswith("0:") for v in digest(replication_conn).values())


def test_seeding_is_atomic_per_tenant(seeding_db, replication_conn, monkeypatch):
    spec = _spec(tenants=2)
    done, doomed = spec.plans
    seed_all(**TWO, tenant=done.slug)
    before = digest(replication_conn, str(done.tenant_id))
    real_load = loader_module.TempTableLoader.load

    def failing(self, batch):
        if batch.table == "models_app_event":
            raise RuntimeError("connection lost (injected)")
        return real_load(self, batch)

    monkeypatch.setattr(loader_module.TempTableLoader, "load", failing)
    with pytest.raises(RuntimeError, match="injected"):
        seed_all(**TWO)
    assert sum(rows_of(replication_conn, str(doomed.tenant_id)).values()) == 0
    assert digest(replication_conn, str(done.tenant_id)) == before


def test_rows_are_written_by_the_app_role_and_checked_by_rls(seeding_db, monkeypatch):
    seen = []
    real_load = loader_module.TempTableLoader.load

    def spying(self, batch):
        self.cursor.execute("SELECT current_user, current_setting('app.tenant_id', true), "
                            "(SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user)")
        seen.append(self.cursor.fetchone())
        return real_load(self, batch)

    monkeypatch.setattr(loader_module.TempTableLoader, "load", spying)
    seed_all(**TINY)
    plan = _spec().plans[0]
    assert seen and {s[0] for s in seen} == {settings.LAKEHOUSE_ROLES["app"]}
    assert {s[1] for s in seen} == {str(plan.tenant_id)} and not any(s[2] for s in seen)

    # A row of another tenant in a batch is refused by the policy's WITH CHECK.
    monkeypatch.setattr(loader_module.TempTableLoader, "load", real_load)
    other = "00000000-0000-7000-8000-000000000001"
    row = f"{uuid7()}\t{other}\t2025-01-01T00:00:00Z\t2025-01-01T00:00:00Z\tx@example.com\tA\tB\t\\N\tt\t{{}}\n"
    batch = Batch("models_app_customer", ("id", "tenant_id", "created_at", "updated_at", "email", "first_name",
                                          "last_name", "phone", "is_active", "metadata"), 1, row.encode())
    with pytest.raises(Exception, match="row-level security"), tenant_context(plan.tenant_id), \
            connection.cursor() as cursor:
        loader_module.TempTableLoader(cursor).load(batch)


def test_start_date_window_is_respected(seeding_db, replication_conn):
    seed_all(**TINY)
    with replication_conn.cursor() as cursor:
        cursor.execute("SELECT min(order_date), max(order_date) FROM models_app_order")
        lo, hi = cursor.fetchone()
    start = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
    assert start <= lo and hi < start + dt.timedelta(days=TINY["days"])


# --- a real interruption: the seeding process killed or interrupted mid-run ----------------

INTERRUPTED = {"scale": "small", "seed": 3, "start_date": START.isoformat(), "days": 180, "tenants": 3}


def _complete_counts(spec: WorldSpec, plan) -> dict[str, int]:
    counts = dict.fromkeys(TABLES, 0)
    counts["tenancy_tenant"] = 1
    units = ("customers", "products", "subscriptions", "orders", "events", "invoices")
    for batch in batches_for(spec, plan, units, 50_000):
        counts[batch.table] += batch.rows
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_an_interrupted_seed_leaves_whole_tenants_or_none(seeding_db, replication_conn, how):
    """Kill (or Ctrl-C) ``seed_all`` right after its first tenant committed: no tenant is half there."""
    opts = INTERRUPTED
    spec = WorldSpec(seed=opts["seed"], scale=opts["scale"], tenants=opts["tenants"],
                     window=Window(dt.date.fromisoformat(opts["start_date"]), opts["days"]))
    args = [sys.executable, "manage.py", "seed_all", "--workers", "1", "--verbosity", "0",
            *(f"--{k.replace('_', '-')}={v}" for k, v in opts.items())]
    process = subprocess.Popen(args, cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_NAME": seeding_db},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            with replication_conn.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM tenancy_tenant")
                if cursor.fetchone()[0] >= 1:
                    break
            assert process.poll() is None, process.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the first tenant never committed"
            time.sleep(0.02)
        process.send_signal(how)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    # The killed backend rolls back when PostgreSQL notices the lost client; its rows were never visible.
    present = []
    for plan in spec.plans:
        counts = rows_of(replication_conn, str(plan.tenant_id))
        if counts["tenancy_tenant"]:
            assert counts == _complete_counts(spec, plan), plan.slug
            present.append(plan.slug)
        else:
            assert sum(counts.values()) == 0, (plan.slug, counts)
    assert 1 <= len(present) < len(spec.plans), present
    if how == signal.SIGINT:  # one sentence naming exactly the complete tenants, no traceback
        assert "Traceback" not in err, err
        sentence = err.strip().splitlines()[-1]
        assert sentence.startswith("CommandError: interrupted:") and f"({', '.join(present)})" in sentence, err
    # A rerun without --clean carries on with the missing tenants and leaves the others alone.
    seed_all(**opts)
    for plan in spec.plans:
        assert rows_of(replication_conn, str(plan.tenant_id)) == _complete_counts(spec, plan), plan.slug


def test_cleanup_only_a_parent_table_empties_its_dependents_too(seeding_db, replication_conn):
    seed_all(**TINY)
    tenant = str(_spec().plans[0].tenant_id)
    before = rows_of(replication_conn, tenant)
    out = StringIO()
    call_command("cleanup_data", only="customers", yes=True, stdout=out)
    assert "also emptying events, invoices, orders, subscriptions" in out.getvalue()
    after = rows_of(replication_conn, tenant)
    assert after["tenancy_tenant"] == 1 and after["models_app_product"] == before["models_app_product"] > 0
    for table in ("models_app_customer", "models_app_subscription", "models_app_order", "models_app_orderitem",
                  "models_app_event", "models_app_invoice"):
        assert after[table] == 0, table
