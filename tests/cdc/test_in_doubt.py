"""Settling a transaction whose COMMIT was sent when the connection died.

The ledger of ``cdc_check`` is only as good as this answer: counting a transaction that did
not commit shows up as a "missing" change the consumer never could have captured. After a
crash restart PostgreSQL hands out again the xids whose WAL never reached the disk, so
``pg_xact_status`` may answer for somebody else's transaction; the witness row must decide.
These tests build each situation with real transactions as the app role: a restart is what
the simulator sees as a different ``pg_postmaster_start_time()``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections

from cdc.workload.simulator import T_CUSTOMER, Simulator, Witness
from tenancy import tenant_context

pytestmark = pytest.mark.slow

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def _transaction(sim: Simulator, state, operation, *, commit: bool) -> tuple[str, object, Witness]:
    """Run one simulator operation in its own transaction, committed or rolled back.

    Returns its xid, the server start time read with it, and the witness it recorded.
    """
    sim._witness = None
    try:
        with tenant_context(state.tenant_id), connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text, pg_postmaster_start_time()")
            xid, started = cursor.fetchone()
            operation(cursor, state)
            if not commit:
                raise _Rollback
    except _Rollback:
        pass
    assert sim._witness is not None and sim._witness.table == T_CUSTOMER
    return xid, started, sim._witness


def _run(sim: Simulator, state, *, commit: bool, test_share: float = 0.0) -> tuple[str, object, Witness]:
    """One customer insert through the simulator's own operation."""
    return _transaction(sim, state, lambda c, s: sim._insert_customers(c, s, 1, test_share=test_share),
                        commit=commit)


@pytest.fixture
def sim(committed):
    tenant = committed.tenant()
    simulator = Simulator([tenant.id], seed=5)
    return simulator


def test_same_server_run_asks_the_transaction_status(sim) -> None:
    state = sim.states[0]
    xid, started, witness = _run(sim, state, commit=True)
    assert sim._settle(state, xid, started, witness) is True
    xid, started, witness = _run(sim, state, commit=False)
    assert sim._settle(state, xid, started, witness) is False


def test_after_a_restart_the_witness_row_decides(sim) -> None:
    state = sim.states[0]
    xid, _started, witness = _run(sim, state, commit=True)
    assert sim._settle(state, xid, LONG_AGO, witness) is True


def test_after_a_restart_a_reused_xid_of_a_committed_transaction_is_not_ours(sim) -> None:
    """The CI failure this guards against: our insert was lost, its xid now names a commit."""
    state = sim.states[0]
    _lost_xid, _started, lost_witness = _run(sim, state, commit=False)
    reused_xid, started, _other = _run(sim, state, commit=True)
    # Same server run: pg_xact_status says "committed" for the reused xid ...
    assert sim._committed(reused_xid) is True
    # ... but after a restart the lost insert's witness row is absent, so it did not commit.
    assert sim._settle(state, reused_xid, LONG_AGO, lost_witness) is False
    assert started != LONG_AGO


def test_after_a_restart_a_delete_is_settled_by_the_row_being_gone(sim) -> None:
    state = sim.states[0]
    _xid, _started, inserted = _run(sim, state, commit=True, test_share=1.0)
    customer = inserted.row_id

    def delete(commit: bool) -> tuple[str, Witness]:
        state.test_customers = [customer]
        xid, _started, witness = _transaction(sim, state, sim._delete_test_customer, commit=commit)
        assert witness == Witness(T_CUSTOMER, customer, deleted=True)
        return xid, witness

    xid, witness = delete(commit=False)
    assert sim._settle(state, xid, LONG_AGO, witness) is False
    xid, witness = delete(commit=True)
    assert sim._settle(state, xid, LONG_AGO, witness) is True


def test_an_operation_that_changed_nothing_is_not_counted_after_a_restart(sim) -> None:
    state = sim.states[0]
    assert sim._settle(state, "1", LONG_AGO, None) is False


def test_witness_queries_only_known_tables() -> None:
    with pytest.raises(ValueError, match="no witness query"):
        Witness("pg_authid", "x").sql()
