"""The seeding commands as a user meets them: totals, confirmation, dry run, Ctrl-C, WAL warnings.

Each bad input or interruption is checked for its exit code (or ``CommandError``), its one
sentence, and the data it leaves: unchanged, or whole tenants and nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from project.database import connect
from seeding import seed_report
from seeding.distributions import Window
from seeding.engine import SeedRequest, batches_for, existing_tenants, seed
from seeding.interrupt import StopSignal
from seeding.management.commands._base import interrupted
from seeding.wal import estimate_wal_bytes
from seeding.world import WorldSpec
from tests.seeding.conftest import START, TABLES, TINY, digest, rows_of, seed_all

TWO = {**TINY, "tenants": 2}
#: Big enough that a Ctrl-C lands while work is in flight (a few seconds a tenant).
BUSY = {"scale": "small", "seed": 3, "start_date": START.isoformat(), "days": 180, "tenants": 3}


def _spec(opts: dict) -> WorldSpec:
    return WorldSpec(seed=opts["seed"], scale=opts["scale"], tenants=opts["tenants"],
                     window=Window(dt.date.fromisoformat(opts["start_date"]), opts["days"]))


def _args(opts: dict) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in opts.items()]


def _complete_counts(spec: WorldSpec, plan) -> dict[str, int]:
    counts = dict.fromkeys(TABLES, 0)
    counts["tenancy_tenant"] = 1
    units = ("customers", "products", "subscriptions", "orders", "events", "invoices")
    for batch in batches_for(spec, plan, units, 50_000):
        counts[batch.table] += batch.rows
    return counts


def _tenant_count(conn) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenancy_tenant")
        return cursor.fetchone()[0]


def _listed(sentence: str, label: str) -> set[str]:
    """The slugs in the parentheses after ``label`` in an interruption sentence."""
    match = re.search(re.escape(label) + r"[^(]*\(([^)]*)\)", sentence)
    assert match, (label, sentence)
    names = match.group(1).split(",")
    return {n.strip() for n in names if n.strip() and n.strip() != "none" and not n.strip().endswith("rows")}


class FakeTerminal(io.StringIO):
    """A stdin that says it is a terminal and answers with ``text``."""

    def isatty(self) -> bool:
        return True


# --- seed_all ----------------------------------------------------------------------------------------


def test_seed_all_total_is_what_seed_report_counts(seeding_db):
    out = StringIO()
    call_command("seed_all", verbosity=1, stdout=out, stderr=StringIO(), workers=1, **TWO)
    printed = int(re.search(r"and ([\d,]+) rows in", out.getvalue()).group(1).replace(",", ""))
    doc = seed_report.build()
    assert printed == sum(doc["overall"]["counts"].values()) > 0
    assert "seeded 2 tenant(s) (2 new)" in out.getvalue()


def _measured_wal(conn, action) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        before = cursor.fetchone()[0]
        action()
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [before])
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("world", [TWO, {**BUSY, "tenants": 2}])
def test_the_wal_estimate_is_within_a_factor_of_two_of_the_wal_written(seeding_db, replication_conn, world):
    spec = _spec(world)
    written = _measured_wal(replication_conn, lambda: seed_all(**world))
    estimate = estimate_wal_bytes(sum(p.estimated_rows() for p in spec.plans))
    assert 0.5 <= estimate / written <= 2.0, (estimate, written)


@pytest.fixture
def tight_slot(seeding_db):
    """A logical slot with ``max_slot_wal_keep_size`` set so low that a seed cannot fit in it."""
    admin = connect("admin", dbname=seeding_db)
    admin.autocommit = True
    repl = connect("replication", dbname=seeding_db)
    repl.autocommit = True
    name = f"seedtest_{os.getpid()}"
    try:
        with admin.cursor() as cursor:
            cursor.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")
            cursor.execute("SELECT pg_reload_conf()")
        with repl.cursor() as cursor:
            cursor.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [name])
        yield name
    finally:
        with repl.cursor() as cursor:
            cursor.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                           "WHERE slot_name = %s", [name])
        with admin.cursor() as cursor:
            cursor.execute("ALTER SYSTEM RESET max_slot_wal_keep_size")
            cursor.execute("SELECT pg_reload_conf()")
        repl.close()
        admin.close()


def test_seed_all_warns_before_writing_more_wal_than_a_slot_can_keep(tight_slot, replication_conn):
    # PostgreSQL keeps whole 16 MB segments, so a 1 MB limit still leaves a few MB: seed more than that.
    big = {**BUSY, "tenants": 1}
    err = StringIO()
    call_command("seed_all", verbosity=0, stderr=err, workers=1, **big)
    assert f"more than replication slot '{tight_slot}' can keep" in err.getvalue()
    assert "cdc_slots --drop" in err.getvalue()


def test_no_wal_warning_without_a_slot_limit(seeding_db):
    """Negative control: an unlimited ``max_slot_wal_keep_size`` (the default) gives no warning."""
    err = StringIO()
    call_command("seed_all", verbosity=0, stderr=err, workers=1, **TWO)
    assert "replication slot" not in err.getvalue()


def _wait_for_tenants(process, conn, n: int, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while _tenant_count(conn) < n:
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no tenant committed in time"
        time.sleep(0.02)


@pytest.mark.slow
def test_sigint_to_the_parent_alone_stops_a_parallel_seed_and_names_the_complete_tenants(seeding_db,
                                                                                         replication_conn):
    spec = _spec(BUSY)
    process = subprocess.Popen([sys.executable, "manage.py", "seed_all", "--workers", "2", "--verbosity", "0",
                                *_args(BUSY)], cwd=settings.BASE_DIR,
                               env={**os.environ, "DATABASE_NAME": seeding_db},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_tenants(process, replication_conn, 1)
        os.kill(process.pid, signal.SIGINT)  # the parent only, not its process group
        signalled = time.monotonic()
        _, err = process.communicate(timeout=60)
        stopped_after = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, err
    assert "Traceback" not in err and "rolled back" not in err.split("CommandError:")[-1]
    assert stopped_after < 15, f"took {stopped_after:.1f}s to stop"
    sentence = err.strip().splitlines()[-1]
    assert sentence.startswith("CommandError: interrupted:"), err
    complete = _listed(sentence, "seeded completely")
    missing = _listed(sentence, "not seeded")
    present = set()
    for plan in spec.plans:
        counts = rows_of(replication_conn, str(plan.tenant_id))
        if counts["tenancy_tenant"]:
            assert counts == _complete_counts(spec, plan), plan.slug
            present.add(plan.slug)
        else:
            assert sum(counts.values()) == 0, (plan.slug, counts)
    assert complete == present and missing == {p.slug for p in spec.plans} - present
    assert 1 <= len(present) < len(spec.plans)


# --- cleanup_data ---------------------------------------------------------------------------------------


def test_cleanup_dry_run_lists_rows_per_tenant_and_table_and_deletes_nothing(seeding_db, replication_conn):
    seed_all(**TWO)
    before = digest(replication_conn)
    out = StringIO()
    call_command("cleanup_data", dry_run=True, stdout=out)
    text = out.getvalue()
    for plan in _spec(TWO).plans:
        counts = rows_of(replication_conn, str(plan.tenant_id))
        line = next(line for line in text.splitlines() if line.startswith(plan.slug + " "))
        assert re.search(rf"\s{sum(counts.values()):,} rows: ", line), line
        assert f"event {counts['models_app_event']:,}," in line and "tenant 1" in line
    assert "nothing was deleted" in text
    assert digest(replication_conn) == before


def test_cleanup_without_a_terminal_refuses_unless_told_yes(seeding_db, replication_conn):
    seed_all(**TINY)
    before = digest(replication_conn)
    with pytest.raises(CommandError, match=r"needs a confirmation: run it on a terminal, or pass --yes"):
        call_command("cleanup_data", stdin=io.StringIO("yes\n"), stdout=StringIO())
    assert digest(replication_conn) == before


def test_cleanup_asks_and_a_no_deletes_nothing(seeding_db, replication_conn):
    seed_all(**TINY)
    before = digest(replication_conn)
    out = StringIO()
    call_command("cleanup_data", stdin=FakeTerminal("no\n"), stdout=out)
    assert "Type 'yes' to continue" in out.getvalue() and "cancelled: nothing was deleted" in out.getvalue()
    assert digest(replication_conn) == before
    call_command("cleanup_data", stdin=FakeTerminal("yes\n"), stdout=StringIO(), stderr=StringIO())
    assert all(v.startswith("0:") for v in digest(replication_conn).values())


def test_cleanup_reports_progress_when_piped(seeding_db):
    seed_all(**TINY)
    err = StringIO()
    call_command("cleanup_data", "--no-input", batch_size=500, stdout=StringIO(), stderr=err)
    slug = _spec(TINY).plans[0].slug
    assert f"{slug}: deleting (~" in err.getvalue() and f"{slug}: deleted " in err.getvalue()


@pytest.mark.parametrize("bad, fragment", [
    ({"only": "customers,nope"}, "--only takes"), ({"tenant": "no-such-tenant"}, "no tenant with slug"),
    ({"batch_size": "0"}, "--batch-size must be"),
])
def test_cleanup_bad_input_is_one_sentence_and_changes_nothing(seeding_db, replication_conn, bad, fragment):
    seed_all(**TINY)
    before = digest(replication_conn)
    with pytest.raises(CommandError, match=re.escape(fragment)):
        call_command("cleanup_data", yes=True, stdout=StringIO(), **bad)
    assert digest(replication_conn) == before


@pytest.mark.slow
def test_ctrl_c_during_cleanup_names_what_was_deleted_and_leaves_whole_tenants(seeding_db, replication_conn):
    spec = _spec(BUSY)
    seed_all(**BUSY)
    before = {p.slug: digest(replication_conn, str(p.tenant_id)) for p in spec.plans}
    process = subprocess.Popen([sys.executable, "manage.py", "cleanup_data", "--yes", "--batch-size", "100",
                                "--verbosity", "0"], cwd=settings.BASE_DIR,
                               env={**os.environ, "DATABASE_NAME": seeding_db},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _tenant_count(replication_conn) == len(spec.plans):
            assert process.poll() is None, process.communicate()[1][-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1 and "Traceback" not in err, err
    sentence = err.strip().splitlines()[-1]
    assert sentence.startswith("CommandError: interrupted: deleted"), err
    deleted, untouched = _listed(sentence, "completely"), _listed(sentence, "untouched")
    gone = {e.slug for e in spec.plans} - {t.slug for t in existing_tenants()}
    assert deleted == gone and untouched == {p.slug for p in spec.plans} - gone and gone and untouched
    for plan in spec.plans:
        now = digest(replication_conn, str(plan.tenant_id))
        if plan.slug in gone:
            assert all(v.startswith("0:") for v in now.values()), plan.slug
        else:
            assert now == before[plan.slug], plan.slug


# --- no server ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["seed_all", "--tenants", "1"], ["seed_orders"], ["cleanup_data", "--yes"], ["cleanup_data", "--dry-run"],
    ["seed_report"], ["bench_seed", "--scale", "small"],
])
def test_without_a_server_each_command_says_so_in_one_sentence(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update(LAKEHOUSE_NO_AUTOSTART="1", LAKEHOUSE_PGDATA=str(tmp_path / "no-server"))
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(("CommandError: ", "Error: ")), last
    if command[0] != "bench_seed":  # bench_seed's sentence is bootstrap's: it needs the admin role
        assert "dbserver start" in last, last


# --- a stop signal that is already set: nothing starts, and the sentence says so ---------------------------


def test_a_stop_before_any_tenant_seeds_nothing_and_says_which_were_not_seeded(seeding_db, replication_conn):
    stop = StopSignal()
    stop.set()
    spec = _spec(TWO)
    result = seed(SeedRequest(spec=spec, workers=1), stop=stop)
    assert result.interrupted and not result.seeded and set(result.not_seeded) == {p.slug for p in spec.plans}
    assert all(v.startswith("0:") for v in digest(replication_conn).values())
    assert interrupted(result).startswith("interrupted: 0 tenant(s) seeded completely (none) and 2 not seeded")


def test_a_stop_while_cleaning_leaves_every_tenant_and_seeds_nothing(seeding_db, replication_conn):
    seed_all(**TWO)
    before = digest(replication_conn)
    stop = StopSignal()
    stop.set()
    result = seed(SeedRequest(spec=_spec(TWO), clean=True, workers=1), stop=stop)
    assert result.cleaned.interrupted and not result.cleaned.deleted and not result.tenants
    assert digest(replication_conn) == before
    assert interrupted(result).startswith("interrupted while cleaning: deleted none completely and left ")
