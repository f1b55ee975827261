"""Live, CDC-friendly activity under tenant contexts that keeps the seeded world realistic.

The workload carries each tenant's world on at the tenant's own pace (see
:mod:`cdc.workload.pace`): storefront sessions walk the seeder's funnel and the purchasing
ones place orders; more orders come from the other channels; orders move pending →
processing → completed (a few cancelled) after the seeder's lags; customers sign up,
subscribe and churn; invoices are issued and paid or go overdue. All rates, types and
words come from :mod:`seeding.distributions`, so simulated rows look like seeded ones and
the realism figures ``seed_report`` checks stay within their tolerances. When a run asks
for more operations than the pace provides (the CDC benchmark), the rest is housekeeping
that changes no figure: profile edits, restocks, short-lived test accounts (no events: any
new session or event would move the funnel or the session figures).

Each *operation* is one transaction inside ``tenant_context`` as the app role; the ledger
counts, from ``rowcount``, exactly the row changes PostgreSQL logs, and only once the
transaction committed. A lost connection (or a PostgreSQL restart) is survived: the
simulator reconnects, settles whether the interrupted transaction committed, counts it if
it did and otherwise runs the operation once more. Settling asks ``pg_xact_status`` while
the server is the one the transaction ran on. After a crash restart that answer can describe
another transaction (crash recovery hands out again xids whose WAL never reached the disk);
then each operation's :class:`Witness`, a row it wrote or deleted, answers instead.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from cdc.workload.ledger import OPS, Ledger, Summary
from cdc.workload.operations import Operations, OpResult
from cdc.workload.pace import PEAK_SHAPE, SECONDS_PER_DAY, Clock, Pace, Urn, shape
from cdc.workload.sql import WRITTEN_TABLES, statements
from cdc.workload.state import (
    T_CUSTOMER,
    T_EVENT,
    T_INVOICE,
    T_ITEM,
    T_ORDER,
    T_PRODUCT,
    T_SUB,
    ProductRef,
    TenantState,
)
from seeding import distributions as D
from tenancy import tenant_context
from tenancy.ids import uuid7

__all__ = ["CATEGORIES", "KIND_CATEGORY", "OPS", "T_CUSTOMER", "T_EVENT", "T_INVOICE", "T_ITEM", "T_ORDER",
           "T_PRODUCT", "T_SUB", "Ledger", "Simulator", "Summary", "TenantState", "Witness"]

log = logging.getLogger(__name__)

CATEGORIES = ("orders", "events", "updates", "customers", "payments", "deletes")
CONNECTION_ERRORS = (OperationalError, InterfaceError)
#: SQLSTATEs of an OperationalError that mean "rolled back, connection fine": deadlock, serialization.
ROLLED_BACK_CODES = {"40P01", "40001"}
WITNESS_TABLES = WRITTEN_TABLES()
#: An xid8 keeps its epoch; a row's ``xmin`` holds only the low 32 bits.
XID_MASK = 0xFFFFFFFF

#: Which ``--operations`` category each kind of work belongs to (and is counted under).
KIND_CATEGORY = {
    "session": "events", "order": "orders", "signup": "customers", "subscribe": "customers",
    "invoice": "payments", "churn": "payments", "profile_edit": "updates", "restock": "updates",
    "test_account": "customers", "process": "orders", "complete": "orders", "cancel": "deletes",
    "pay": "payments", "overdue": "payments", "remove_test_account": "deletes", "trial_end": "payments",
}
FILL_KINDS = {"updates": ("profile_edit", "restock"), "customers": ("test_account",)}


@dataclass(frozen=True)
class Witness:
    """A row whose state shows, after a crash, whether the transaction that wrote it committed.

    ``deleted=False``: the row version this transaction wrote (inserted or updated) is there,
    with ``xmin`` = its xid. ``deleted=True``: the row is gone.
    """

    table: str
    row_id: uuid.UUID | str
    deleted: bool = False

    def sql(self) -> str:
        return statements().witness(self.table)


class Simulator(Operations):
    """One connection's worth of workload over some tenants (see the module docstring)."""

    def __init__(self, tenant_ids: list[uuid.UUID], *, operations: tuple[str, ...] = CATEGORIES,
                 seed: int | None = None, using: str = "default", reconnect_timeout: float = 120.0,
                 time_scale: float | None = D.WORKLOAD_TIME_SCALE) -> None:
        if not tenant_ids:
            raise ValueError("the simulator needs at least one tenant")
        unknown = set(operations) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown operations: {', '.join(sorted(unknown))}")
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(self.rng.getrandbits(64))
        self.using = using
        self.reconnect_timeout = reconnect_timeout
        self.categories = frozenset(operations)
        self.clock = Clock(time_scale)
        self.states = [TenantState(t, Urn(self.rng), Urn(self.rng)) for t in tenant_ids]
        fill = [(k, w) for k, w in D.WORKLOAD_FILL_WEIGHTS.items() if k in self.categories]
        self.fill_categories = [k for k, _ in fill]
        self.fill_weights = [w for _, w in fill]
        self.ledger = Ledger()
        self.operations: Counter[str] = Counter()
        self.errors = 0
        self.retries = 0
        self.reconnects = 0
        self.last_errors: list[str] = []
        self._prepared = False
        self._witness: Witness | None = None
        self.in_doubt = 0
        self.in_doubt_committed = 0
        self.unsettled = 0
        self._sql = statements()

    # -- ids and values -----------------------------------------------------------------
    def _id(self) -> uuid.UUID:
        return uuid7(random_bytes=self.rng.randbytes(10))

    def _pick(self, items: list[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def _weighted(self, table_: tuple[tuple[Any, float], ...]) -> Any:
        return self.rng.choices([v for v, _ in table_], [w for _, w in table_])[0]

    def _lag(self, spec: tuple[float, float]) -> float:
        """Simulated seconds of a lognormal (median hours, sigma) lag."""
        return float(self.np.lognormal(math.log(spec[0]), spec[1])) * 3600.0

    def enabled(self, kind: str) -> bool:
        return KIND_CATEGORY[kind] in self.categories

    # -- setup --------------------------------------------------------------------------
    def prepare(self) -> None:
        """Load each tenant's sample and pace; give empty tenants customers and products."""
        for state in self.states:
            self._run_op("setup", state, self._load_state)
            if len(state.customers) < 5:
                self._run_op("setup", state, lambda c, s: self._insert_customers(c, s, 20, test_share=0.0))
            if len(state.products) < 5:
                self._run_op("setup", state, self._insert_products)
            self._schedule_arrivals(state)
        self._prepared = True

    def _load_state(self, cursor: Any, state: TenantState) -> OpResult:
        sql = self._sql
        cursor.execute(sql.load_customers)
        customers = cursor.fetchall()
        cursor.execute(sql.load_products)
        products = cursor.fetchall()
        cursor.execute(sql.load_open_orders)
        open_orders = cursor.fetchall()
        cursor.execute(sql.order_status)
        status = dict(cursor.fetchall())
        lists = {}
        for name in ("subscriptions", "open_invoices", "test_customers"):
            cursor.execute(getattr(sql, f"load_{name}"))
            lists[name] = [row[0] for row in cursor.fetchall()]
        cursor.execute(sql.pace, {"days": D.WORKLOAD_HISTORY_DAYS})
        pace = Pace.measured(cursor.fetchone(), D.WORKLOAD_HISTORY_DAYS)
        cursor.execute(sql.last_order_number)
        last_order = cursor.fetchone()[0]
        cursor.execute(sql.last_invoice_number)
        last_invoice = cursor.fetchone()[0]
        cursor.execute(sql.pricing)
        tax_rate, shipping, free = cursor.fetchone()

        def apply() -> None:
            for cid, orders in customers:
                state.customers.add(cid, int(orders))
            for pid, sku, category, price, sales in products:
                state.products.add(ProductRef(pid, sku, category, Decimal(price)), int(sales))
            state.subscriptions = lists["subscriptions"]
            state.open_invoices = lists["open_invoices"]
            state.test_customers = lists["test_customers"]
            state.pace = pace
            if last_order:
                state.next_order = int(last_order.removeprefix(D.ORDER_NUMBER_PREFIX)) - D.ORDER_NUMBER_FIRST + 1
            if last_invoice:
                state.next_invoice = int(last_invoice) - D.INVOICE_NUMBER_FIRST + 1
            if tax_rate is not None:
                state.tax_rate = Decimal(tax_rate).quantize(Decimal("0.0001"))
            if shipping:
                state.shipping_fee = Decimal(shipping)
            if free is not None:
                state.free_shipping = Decimal(free)
            state.status.update(status)
            for oid, order_status in open_orders:
                state.backlog[order_status].append(oid)
            self._rebalance(state)
        return {}, apply

    def _rebalance(self, s: TenantState) -> None:
        """Move on the oldest open orders found at start while their status holds more than its share.

        New orders go through their lifecycle in hours; the seeded world's open orders are
        days old. Releasing them only above the target share keeps the status mix where the
        seeder put it (and repairs a mix an older, unpaced workload left behind).
        """
        total = sum(s.status.values())
        now = self.clock.now()
        for status, step in (("pending", "process"), ("processing", "complete")):
            excess = s.status[status] - s.released[status] - D.ORDER_STATUS_MIX[status] * total
            while excess >= 1 and s.backlog[status]:
                oid = s.backlog[status].popleft()
                s.released[status] += 1
                excess -= 1
                self._schedule_next(s, now + self._lag(D.PROCESSING_HOURS), oid, step, backlog=True)

    def _schedule_arrivals(self, state: TenantState) -> None:
        now = self.clock.now()
        for kind in ("session", "order", "signup", "subscribe", "invoice", "churn", "profile_edit", "restock",
                     "test_account"):
            if self.enabled(kind):
                self._schedule_arrival(state, kind, now)

    def _per_day(self, state: TenantState, kind: str) -> float:
        p = state.pace
        return {
            "session": p.sessions, "order": p.untracked_orders, "signup": p.customers, "subscribe": p.subscriptions,
            "invoice": p.invoices, "churn": len(state.subscriptions) * D.MONTHLY_CHURN / D.MONTH_DAYS,
            "profile_edit": len(state.customers) * D.WORKLOAD_PROFILE_EDITS_PER_CUSTOMER_DAY,
            "restock": len(state.products) * D.WORKLOAD_RESTOCKS_PER_PRODUCT_DAY,
            "test_account": D.WORKLOAD_TEST_ACCOUNTS_PER_DAY,
        }[kind]

    def _schedule_arrival(self, state: TenantState, kind: str, now: float) -> None:
        """The next candidate ``kind`` arrival, drawn at the busiest moment's rate.

        :meth:`_do` keeps a candidate with probability ``shape(at) / PEAK_SHAPE`` (thinning),
        so arrivals follow the hour of day and the weekday exactly, however long the wait.
        """
        rate = self._per_day(state, kind) * PEAK_SHAPE / SECONDS_PER_DAY
        wait = float(self.np.exponential(1.0 / rate)) if rate > 0 else SECONDS_PER_DAY
        state.agenda.add(now + wait, kind)

    def _schedule_next(self, state: TenantState, at: float, oid: uuid.UUID, step: str, *,
                       backlog: bool = False) -> None:
        """An order's next lifecycle step (a pending order may be cancelled instead of processed)."""
        if step == "process" and self.enabled("cancel") and self.rng.random() < D.WORKLOAD_CANCEL_SHARE:
            step = "cancel"
        if self.enabled(step):
            state.agenda.add(at, step, (oid, backlog))
        elif backlog:
            state.released["pending" if step in ("process", "cancel") else "processing"] -= 1

    # -- the loop -----------------------------------------------------------------------
    def run(self, *, seconds: float | None, rate_per_minute: float,
            should_stop: Callable[[], bool] = lambda: False, simulated_seconds: float | None = None) -> Summary:
        """Run until ``seconds`` pass (None: until stopped) at ``rate_per_minute`` (0: flat out).

        ``simulated_seconds`` also ends the run once the simulated clock has covered that much.
        """
        if not self._prepared:
            self.prepare()
        interval = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
        started = time.monotonic()
        simulated_from = self.clock.now()
        next_at = started
        while not should_stop():
            now = time.monotonic()
            if seconds is not None and now - started >= seconds:
                break
            if simulated_seconds is not None and self.clock.now() - simulated_from >= simulated_seconds:
                break
            if interval:
                if next_at > now:
                    time.sleep(min(next_at - now, 0.05))
                    continue
                next_at = max(next_at + interval, now - 1.0)  # catch up at most 1 s of backlog
            if not self.step():
                time.sleep(0.05)  # nothing due and nothing to fill with: wait for the clock
        return self.summary(time.monotonic() - started, self.clock.now() - simulated_from)

    def summary(self, seconds: float, simulated_seconds: float = 0.0, failure: str | None = None) -> Summary:
        return Summary(seconds, Counter(self.operations), self.errors, self.retries, self.reconnects,
                       Ledger.from_dict(self.ledger.as_dict()), list(self.last_errors), self.in_doubt,
                       self.in_doubt_committed, simulated_seconds, failure, self.unsettled)

    #: Due things looked at per step before giving up on finding one that writes.
    MAX_SKIPS = 1000

    def step(self) -> bool:
        """One operation: the earliest due thing, else (paced clock) housekeeping. False if none.

        Due things that write nothing (an arrival thinned out, an order already moved) are
        passed over, so each step is one transaction and a requested rate is met.
        """
        if not self._prepared:
            self.prepare()
        for _ in range(self.MAX_SKIPS):
            state, due = self._earliest()
            if due is None or (self.clock.scale is not None and due.at > self.clock.now()):
                break
            if self.clock.scale is None:
                self.clock.advance_to(due.at)
            state.agenda.pop()
            if self._do(state, due.kind, due.payload, due.at):
                return True
        if self.clock.scale is None or not self.fill_categories:
            return False
        category = self.rng.choices(self.fill_categories, self.fill_weights)[0]
        return self._do(self._busy_tenant(), self._pick(list(FILL_KINDS[category])), None, None)

    def _earliest(self) -> tuple[TenantState, Any]:
        best_state, best = self.states[0], None
        for state in self.states:
            due = state.agenda.peek()
            if due is not None and (best is None or due.at < best.at):
                best_state, best = state, due
        return best_state, best

    def _busy_tenant(self) -> TenantState:
        """A tenant drawn in proportion to its pace: a big shop gets more of the housekeeping."""
        if len(self.states) == 1:
            return self.states[0]
        return self.rng.choices(self.states, [s.pace.orders + 1.0 for s in self.states])[0]

    def _do(self, state: TenantState, kind: str, payload: Any, at: float | None) -> bool:
        """Run one kind of work (True if a transaction ran); an arrival schedules its successor
        first and may be thinned out."""
        if payload is None and at is not None:
            self._schedule_arrival(state, kind, at)
            if self.rng.random() * PEAK_SHAPE > shape(at):
                return False
        op = self._operation(state, kind, payload)
        if op is None:
            return False
        self._run_op(KIND_CATEGORY[kind], state, op)
        return True

    def _operation(self, s: TenantState, kind: str, payload: Any) -> Callable[[Any, TenantState], OpResult] | None:
        if kind == "session":
            return self._session if len(s.products) else None
        if kind == "order":
            return self._untracked_order if len(s.customers) and len(s.products) else None
        if kind in ("process", "complete", "cancel"):
            return lambda c, st: self._advance_order(c, st, payload, kind)
        if kind == "signup":
            return lambda c, st: self._insert_customers(c, st, 1, test_share=0.0)
        if kind == "test_account":
            return lambda c, st: self._insert_customers(c, st, 1, test_share=1.0)
        if kind == "remove_test_account":
            return lambda c, st: self._delete_test_customer(c, st, payload)
        if kind == "subscribe":
            return self._new_subscription if len(s.customers) else None
        if kind == "invoice":
            return self._issue_invoice if len(s.customers) else None
        if kind == "trial_end":
            return lambda c, st: self._end_trial(c, st, payload)
        if kind == "churn":
            return self._end_subscription if s.subscriptions else None
        if kind in ("pay", "overdue"):
            return lambda c, st: self._settle_invoice(c, st, payload, kind)
        if kind == "profile_edit":
            return self._edit_customer if len(s.customers) else None
        if kind == "restock":
            return self._restock_product if len(s.products) else None
        raise ValueError(f"unknown kind of work {kind!r}")

    # -- running one operation ----------------------------------------------------------
    def _run_op(self, name: str, state: TenantState, op: Callable[[Any, TenantState], OpResult]) -> None:
        for attempt in (1, 2):
            xid: str | None = None
            server_start: Any = None
            result: OpResult | None = None
            self._witness = None
            try:
                with tenant_context(state.tenant_id, using=self.using), \
                        connections[self.using].cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()::text, pg_postmaster_start_time()")
                    xid, server_start = cursor.fetchone()
                    result = op(cursor, state)
            except CONNECTION_ERRORS as exc:
                if getattr(exc.__cause__, "pgcode", None) in ROLLED_BACK_CODES:
                    # Deadlock victim or serialization failure: rolled back for sure, run again.
                    self._note(f"{name}: {str(exc).strip()[:120]}")
                    if attempt == 1:
                        self.retries += 1
                        continue
                    self.errors += 1
                    return
                self._note(f"{name}: connection lost: {str(exc).strip()[:120]}")
                try:
                    self._reconnect()
                except CONNECTION_ERRORS:
                    if result is not None and xid is not None:
                        self.unsettled += 1
                    raise
                # No result: COMMIT was never sent, so the transaction cannot have committed.
                if result is not None and xid is not None:
                    self.in_doubt += 1
                    if self._settle(state, xid, server_start, self._witness):
                        self.in_doubt_committed += 1
                        self._count(name, result)
                        return
                if attempt == 1:
                    self.retries += 1
                    continue
                self.errors += 1
                return
            except DatabaseError as exc:
                self.errors += 1
                self._note(f"{name}: {type(exc).__name__}: {str(exc).strip()[:160]}")
                return
            # Only here has the transaction committed: the ledger never counts what did not.
            self._count(name, result)
            return

    def _settle(self, state: TenantState, xid: str, server_start: Any, witness: Witness | None) -> bool:
        """Whether the transaction ``xid``, interrupted after it sent COMMIT, committed.

        On the same server run ``pg_xact_status`` is exact. After a restart it is not: crash
        recovery restarts xid assignment after the last xid it found in the WAL on disk, so the
        xid of a transaction whose WAL was lost may already belong to a new transaction. Then
        the witness row decides.
        """
        with connections[self.using].cursor() as cursor:
            cursor.execute("SELECT pg_postmaster_start_time()")
            restarted = cursor.fetchone()[0] != server_start
        if not restarted:
            return self._committed(xid)
        if witness is None:  # the operation changed no row: nothing to count either way
            return False
        with tenant_context(state.tenant_id, using=self.using), connections[self.using].cursor() as cursor:
            cursor.execute(witness.sql(), [str(witness.row_id)])
            row = cursor.fetchone()
        if witness.deleted:
            return row is None
        return row is not None and int(row[0]) == int(xid) & XID_MASK

    def _witnessed_by(self, table_name: str, row_id: uuid.UUID | str, *, deleted: bool = False) -> None:
        """Record the row that will show whether this operation's transaction committed."""
        self._witness = Witness(table_name, row_id, deleted)

    def _count(self, name: str, result: OpResult) -> None:
        effects, on_commit = result
        self.ledger.add(effects)
        on_commit()
        if name != "setup":
            self.operations[name] += 1

    def _note(self, message: str) -> None:
        log.debug("%s", message)
        self.last_errors.append(message)
        del self.last_errors[:-20]

    def _reconnect(self) -> None:
        connection = connections[self.using]
        with contextlib.suppress(DatabaseError):
            connection.close()
        deadline = time.monotonic() + self.reconnect_timeout
        while True:
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                self.reconnects += 1
                log.info("reconnected to the database")
                return
            except CONNECTION_ERRORS:
                if time.monotonic() > deadline:
                    raise
                with contextlib.suppress(DatabaseError):
                    connection.close()
                time.sleep(0.25)

    def _committed(self, xid: str) -> bool:
        """Whether transaction ``xid`` committed (waits while it is still in progress)."""
        deadline = time.monotonic() + 30
        while True:
            with connections[self.using].cursor() as cursor:
                cursor.execute("SELECT pg_xact_status(%s::xid8)", [xid])
                status = cursor.fetchone()[0]
            if status != "in progress" or time.monotonic() > deadline:
                return status == "committed"
            time.sleep(0.05)
