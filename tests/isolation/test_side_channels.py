"""Property 7: foreign-key errors, unique errors, pg_stats and counters reveal nothing.

The last tests document channels PostgreSQL *does* open (EXPLAIN estimates, table-level
statistics, the global primary key, global tenant slugs); they assert the channel exists
so that docs/ISOLATION.md stays true, and fail if a PostgreSQL version closes it.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.db import IntegrityError, connection
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models_app.models import Customer, Event
from project.database import connect
from rls.sql import qn
from tenancy import create_tenant, tenant_context
from tests.isolation.conftest import build_committed_world
from tests.isolation.controls import CONTROL_SETTINGS, expect_violation
from tests.isolation.model import WorldModel, tables
from tests.isolation.profiles import scaled
from tests.isolation.scratch import global_unique, plain_foreign_key, rls_disabled, scratch_database, sequence_column
from tests.isolation.side_channels import (
    FOREIGN_KEYS,
    check_pg_stats,
    observe,
    probe_counters,
    probe_foreign_key,
    probe_unique,
)

pytestmark = pytest.mark.isolation


def analyze() -> None:
    """What autovacuum does sooner or later (the app role may not ANALYZE)."""
    conn = connect("owner")
    conn.autocommit = True
    with conn.cursor() as cursor:
        for table in tables():
            cursor.execute(f"ANALYZE {qn(table)}")
    conn.close()


def _pair(data: st.DataObject, world: WorldModel) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = data.draw(st.sampled_from(world.tenants), label="tenant")
    other = data.draw(st.sampled_from([t for t in world.tenants if t != tenant]), label="other tenant")
    return tenant, other


def fk_example(data: st.DataObject, world: WorldModel) -> None:
    tenant, other = _pair(data, world)
    model, field, parent = data.draw(st.sampled_from(FOREIGN_KEYS), label="foreign key")
    foreign = sorted(world.ids(parent, other))
    own = {t: sorted(world.ids(t, tenant)) for t in ("models_app_order", "models_app_product")}
    assume(foreign and all(own.values()))
    foreign_parent = data.draw(st.sampled_from(foreign), label="foreign parent")
    probe_foreign_key(tenant, model, field, foreign_parent, {k: v[0] for k, v in own.items()})


UNIQUE_KEYS = (("models_app_customer", "email"), ("models_app_product", "sku"))


def unique_example(data: st.DataObject, world: WorldModel) -> None:
    tenant, other = _pair(data, world)
    table, column = data.draw(st.sampled_from(UNIQUE_KEYS), label="unique key")
    mine = {r.fields[column] for r in world.visible(table, tenant)}
    theirs = sorted({r.fields[column] for r in world.visible(table, other)} - mine)
    assume(theirs)
    probe_unique(tenant, table, data.draw(st.sampled_from(theirs), label="their value"))


@settings(max_examples=scaled(150))
@given(data=st.data())
def test_foreign_key_errors_do_not_reveal_other_tenants_ids(committed_world, data) -> None:
    fk_example(data, committed_world)


@settings(max_examples=scaled(150))
@given(data=st.data())
def test_tenant_scoped_unique_keys_do_not_reveal_other_tenants_values(committed_world, data) -> None:
    unique_example(data, committed_world)


def test_pg_stats_shows_nothing_of_tenant_tables(committed_world) -> None:
    analyze()
    for tenant in committed_world.tenants:
        check_pg_stats(tenant)


@settings(max_examples=scaled(20))
@given(data=st.data(), others=st.integers(1, 5))
def test_no_global_counter_reveals_other_tenants_inserts(committed_world, data, others) -> None:
    tenant, other = _pair(data, committed_world)
    probe_counters(tenant, other, others)


# ------------------------------------------------------------------- negative controls


def _control(label: str, ddl: list[str], example, *, distinct_keys: bool = False) -> None:
    with scratch_database(label, ddl):
        world = build_committed_world(seed=4, hostile=False, distinct_keys=distinct_keys)

        @CONTROL_SETTINGS
        @given(data=st.data())
        def run(data) -> None:
            example(data, world)

        expect_violation(run)


def test_control_plain_foreign_key_reveals_other_tenants_ids() -> None:
    _control("side_fk", plain_foreign_key("models_app_order", "customer"), fk_example)


def test_control_global_unique_key_reveals_other_tenants_values() -> None:
    _control("side_unique", global_unique("models_app_customer", "customer_tenant_email_uniq", "email"),
             unique_example, distinct_keys=True)


def test_control_pg_stats_of_a_table_without_policy_are_visible() -> None:
    with scratch_database("side_stats", rls_disabled("models_app_customer")):
        world = build_committed_world(seed=4, hostile=False)
        analyze()
        expect_violation(lambda: check_pg_stats(world.tenants[0]))


def test_control_a_serial_column_reveals_other_tenants_inserts() -> None:
    with scratch_database("side_seq", sequence_column("models_app_customer")):
        world = build_committed_world(seed=4, hostile=False)
        expect_violation(lambda: probe_counters(world.tenants[0], world.tenants[1], 3))


# ------------------------------------------------------- channels PostgreSQL leaves open


def _estimate(sql: str, params: list[object]) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _inserted_rows(table: str, at_least: int) -> int:
    """``pg_stat_user_tables.n_tup_ins`` as the app role (backends flush counters about once a second)."""
    inserted = 0
    for _ in range(10):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = %s", [table])
            inserted = cursor.fetchone()[0]
        if inserted >= at_least:
            break
        time.sleep(0.5)
    return inserted


def test_known_channel_explain_estimates_reveal_other_tenants_frequent_values(committed_world) -> None:
    """The planner uses column statistics (MCVs) with leakproof operators even under RLS."""
    tenant, other = committed_world.tenants[0], committed_world.tenants[1]
    with tenant_context(other):
        Event.objects.bulk_create([Event(event_type="search", session_id="burst-of-other-tenant")
                                   for _ in range(400)])
    analyze()
    with tenant_context(tenant):
        sql = "SELECT * FROM models_app_event WHERE session_id = %s"
        hot = _estimate(sql, ["burst-of-other-tenant"])
        cold = _estimate(sql, ["never-used-anywhere"])
        whole = _estimate("SELECT * FROM models_app_event", [])
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'models_app_event'::regclass")
            reltuples = cursor.fetchone()[0]
        own = Event.objects.count()
    inserted = _inserted_rows("models_app_event", at_least=400)
    print(f"\nEXPLAIN under T: {hot} rows for another tenant's hot value, {cold} for an unused one; "
          f"table estimate {whole}; pg_class.reltuples {reltuples}; n_tup_ins {inserted}; T owns {own}")
    assert hot > 10 * cold, "EXPLAIN no longer reveals other tenants' frequent values: update docs/ISOLATION.md"
    assert reltuples >= 400 > own, "pg_class.reltuples no longer counts other tenants: update docs/ISOLATION.md"
    assert inserted >= 400, "pg_stat_user_tables no longer counts other tenants: update docs/ISOLATION.md"


def test_known_channel_primary_key_probe_reveals_that_an_id_exists(committed_world) -> None:
    """Primary keys are global: reusing another tenant's id is a unique violation (needs the id)."""
    tenant, other = committed_world.tenants[0], committed_world.tenants[1]
    foreign_id = sorted(committed_world.ids("models_app_customer", other))[0]
    unknown = uuid.uuid4()

    def insert(row_id: uuid.UUID) -> None:
        Customer(id=row_id, email=f"pk-{uuid.uuid4().hex[:8]}@x.org", first_name="P", last_name="K").save(
            force_insert=True)

    with tenant_context(tenant):
        assert observe(lambda: insert(foreign_id), foreign_id)[0] == "23505"
        assert observe(lambda: insert(unknown), unknown) == ("ok",)


def test_known_channel_tenant_slugs_are_global(committed_world) -> None:
    """Slugs, names and domains identify tenants platform-wide (the resolver reveals them anyway)."""
    taken = committed_world.rows["tenancy_tenant"][committed_world.tenants[1]].fields["slug"]
    with pytest.raises(IntegrityError):
        create_tenant(name=f"other-{uuid.uuid4().hex[:6]}", slug=taken)
