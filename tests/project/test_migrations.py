"""Migrations create the policies and take them away again, cleanly, as the owner role."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from models_app.models import Customer
from project.bootstrap import drop_database, ensure_database
from project.database import connect
from rls.constraints import tenant_policy_of

pytestmark = [pytest.mark.rls]
ROOT = Path(__file__).resolve().parents[2]


def _manage(dbname: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_NAME": dbname}
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _policies(dbname: str) -> set[tuple[str, str]]:
    with connect("owner", dbname=dbname) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public'")
        rows = {(r[0], r[1]) for r in cursor.fetchall()}
    conn.close()
    return rows


@pytest.fixture
def scratch_db(django_db_setup):
    name = f"scratch_mig_{uuid.uuid4().hex[:8]}"
    ensure_database(name, fresh=True)
    yield name
    drop_database(name)


def test_migrate_to_zero_and_back(scratch_db: str) -> None:
    _manage(scratch_db, "migrate", "--database", "owner", "--verbosity", "0")
    assert len(_policies(scratch_db)) == 8
    _manage(scratch_db, "migrate", "--database", "owner", "models_app", "zero", "--verbosity", "0")
    assert {t for t, _ in _policies(scratch_db)} == {"tenancy_tenant"}
    _manage(scratch_db, "migrate", "--database", "owner", "tenancy", "zero", "--verbosity", "0")
    assert _policies(scratch_db) == set()
    _manage(scratch_db, "migrate", "--database", "owner", "--verbosity", "0")
    assert len(_policies(scratch_db)) == 8
    result = _manage(scratch_db, "makemigrations", "--check", "--dry-run")
    assert "No changes detected" in result.stdout


def test_policy_constraint_reverses_on_a_live_table(scratch_db: str) -> None:
    _manage(scratch_db, "migrate", "--database", "owner", "--verbosity", "0")
    policy = tenant_policy_of(Customer)
    assert policy is not None
    conn = connect("owner", dbname=scratch_db)
    try:
        with conn.cursor() as cursor:
            cursor.execute(policy.remove_sql(Customer, None))
            cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                           [Customer._meta.db_table])
            assert cursor.fetchone() == (False, False)
            cursor.execute(policy.create_sql(Customer, None))
            cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                           [Customer._meta.db_table])
            assert cursor.fetchone() == (True, True)
        conn.commit()
    finally:
        conn.close()
    assert (Customer._meta.db_table, policy.name) in _policies(scratch_db)


def test_migrate_without_the_owner_alias_is_refused_before_any_change(scratch_db: str) -> None:
    """Django's own ``migrate`` defaults to ``default`` (the app role): one sentence, nothing created."""
    env = {**os.environ, "DATABASE_NAME": scratch_db}
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "Migrations must run as the owner role" in last and "migrate --database owner" in last, result.stderr
    with connect("owner", dbname=scratch_db) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NULL, to_regclass('tenancy_tenant') IS NULL")
        assert cursor.fetchone() == (True, True)
    conn.close()
