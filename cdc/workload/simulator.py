"""Live, CDC-friendly activity under tenant contexts that keeps the seeded world realistic.

The workload carries each tenant's world on at the tenant's own pace (see
:mod:`cdc.workload.pace`): storefront sessions walk the seeder's funnel and the purchasing
ones place orders; more orders come from the other channels; orders move pending →
processing → completed (a few cancelled) after the seeder's lags; customers sign up,
subscribe and churn; invoices are issued and paid or go overdue. All rates, types and
words come from :mod:`seeding.distributions`, so simulated rows look like seeded ones and
the realism figures ``seed_report`` checks stay within their tolerances. When a run asks
for more operations than the pace provides (the CDC benchmark), the rest is housekeeping
that changes no figure: profile edits, restocks, clicks and searches inside open sessions,
short-lived test accounts.

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
import datetime as dt
import json
import logging
import math
import random
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from cdc.workload.pace import PEAK_SHAPE, SECONDS_PER_DAY, Agenda, Clock, Pace, Urn, shape
from cdc.workload.sql import WRITTEN_TABLES, statements, table
from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from seeding import distributions as D
from tenancy import tenant_context
from tenancy.ids import uuid7

log = logging.getLogger(__name__)

CATEGORIES = ("orders", "events", "updates", "customers", "payments", "deletes")
CONNECTION_ERRORS = (OperationalError, InterfaceError)
#: SQLSTATEs of an OperationalError that mean "rolled back, connection fine": deadlock, serialization.
ROLLED_BACK_CODES = {"40P01", "40001"}
#: Bounded working sets: a long run must not grow memory without limit.
MAX_TRACKED = 5000
#: Parallel connections beyond this are refused: the machine, not the workload, would be measured.
MAX_WORKERS = 64

#: Ledger keys: the tables the workload writes (from the models).
T_CUSTOMER, T_PRODUCT, T_ORDER = table(Customer), table(Product), table(Order)
T_ITEM, T_EVENT, T_SUB, T_INVOICE = table(OrderItem), table(Event), table(Subscription), table(Invoice)
WITNESS_TABLES = WRITTEN_TABLES()
OPS = ("I", "U", "D")
#: An xid8 keeps its epoch; a row's ``xmin`` holds only the low 32 bits.
XID_MASK = 0xFFFFFFFF
CENT = Decimal("0.01")

#: Which ``--operations`` category each kind of work belongs to (and is counted under).
KIND_CATEGORY = {
    "session": "events", "order": "orders", "signup": "customers", "subscribe": "customers",
    "invoice": "payments", "churn": "payments", "profile_edit": "updates", "restock": "updates",
    "test_account": "customers", "process": "orders", "complete": "orders", "cancel": "deletes",
    "pay": "payments", "overdue": "payments", "remove_test_account": "deletes", "click": "events",
}
FILL_KINDS = {"updates": ("profile_edit", "restock"), "events": ("click",), "customers": ("test_account",)}
FIRST_NAMES = ("Ann", "Bo", "Chloë", "D'Arcy", "Émile", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kwame", "Lucía")
LAST_NAMES = ("O'Neil", "Smith", "Ng", "García", "Müller", "Okafor", "Kowalski", "Dubois", "Tanaka", "Rossi")
AGENTS = ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Mozilla/5.0 (Linux; Android 14)")

Effects = dict[str, dict[str, int]]
OpResult = tuple[Effects, Callable[[], None]]


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


@dataclass
class Ledger:
    """Committed row changes per table: ``{table: Counter({"I": n, "U": n, "D": n})}``."""

    tables: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, effects: Mapping[str, Mapping[str, int]]) -> None:
        for name, counts in effects.items():
            for op, n in counts.items():
                if op not in OPS:
                    raise ValueError(f"unknown operation {op!r} for {name}")
                if n:
                    self.tables[name][op] += n

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {t: {op: c[op] for op in OPS} for t, c in sorted(self.tables.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, int]]) -> Ledger:
        ledger = cls()
        ledger.add(data)
        return ledger


@dataclass(frozen=True)
class ProductRef:
    id: uuid.UUID
    sku: str
    category: str
    price: Decimal


@dataclass
class TenantState:
    """What the simulator knows about one tenant (a sample, kept current by its own writes)."""

    tenant_id: uuid.UUID
    customers: Urn
    products: Urn
    pace: Pace = field(default_factory=lambda: Pace.measured((0, 0, 0, 0, 0), 1))
    agenda: Agenda = field(default_factory=Agenda)
    subscriptions: list[uuid.UUID] = field(default_factory=list)
    open_invoices: list[uuid.UUID] = field(default_factory=list)
    test_customers: list[uuid.UUID] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    next_order: int = 0
    next_invoice: int = 0
    #: Orders per status (kept current by the workload's own moves) and the open orders found
    #: at start, oldest first, which move on only while their status holds more than its share.
    status: Counter[str] = field(default_factory=Counter)
    backlog: dict[str, deque[uuid.UUID]] = field(default_factory=lambda: {"pending": deque(), "processing": deque()})
    released: Counter[str] = field(default_factory=Counter)
    tax_rate: Decimal = Decimal("0.07")
    shipping_fee: Decimal = Decimal(D.SHIPPING_FEES_CENTS[1]) / 100
    free_shipping: Decimal = Decimal(D.FREE_SHIPPING_THRESHOLDS_CENTS[1]) / 100


def _track(items: list[Any], item: Any) -> None:
    items.append(item)
    if len(items) > MAX_TRACKED:
        del items[: len(items) - MAX_TRACKED]


def _discard(items: list[Any], item: Any) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Summary:
    seconds: float
    operations: Counter[str]
    errors: int
    retries: int
    reconnects: int
    ledger: Ledger
    last_errors: list[str]
    #: Transactions whose COMMIT was in flight when the connection died, and how many committed.
    in_doubt: int = 0
    in_doubt_committed: int = 0
    #: Simulated seconds the run covered (its clock; real seconds × time scale when paced).
    simulated_seconds: float = 0.0
    #: Why the run ended early (a worker's failure), one sentence; None when it ended normally.
    failure: str | None = None
    #: Transactions whose COMMIT was in flight when the database went away for good: their
    #: outcome cannot be known, so they are not in the ledger (at most one per worker).
    unsettled: int = 0

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3), "operations": self.total,
            "ops_per_second": round(self.total / self.seconds, 1) if self.seconds else None,
            "simulated_hours": round(self.simulated_seconds / 3600, 3),
            "by_type": dict(sorted(self.operations.items())), "errors": self.errors, "retries": self.retries,
            "reconnects": self.reconnects, "in_doubt": self.in_doubt, "in_doubt_committed": self.in_doubt_committed,
            "ledger": self.ledger.as_dict(), "row_changes": self.ledger.total(),
            "last_errors": self.last_errors[-5:], "failure": self.failure, "unsettled": self.unsettled,
        }


class Simulator:
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
        for name in ("subscriptions", "open_invoices", "test_customers", "recent_sessions"):
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
            state.sessions = lists["recent_sessions"]
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

    def step(self) -> bool:
        """One operation: the earliest due thing, else (paced clock) housekeeping. False if none."""
        if not self._prepared:
            self.prepare()
        state, due = self._earliest()
        if due is not None and (self.clock.scale is None or due.at <= self.clock.now()):
            if self.clock.scale is None:
                self.clock.advance_to(due.at)
            state.agenda.pop()
            self._do(state, due.kind, due.payload, due.at)
            return True
        if self.clock.scale is None or not self.fill_categories:
            return False
        category = self.rng.choices(self.fill_categories, self.fill_weights)[0]
        state = self._busy_tenant()
        self._do(state, self._pick(list(FILL_KINDS[category])), None, None)
        return True

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

    def _do(self, state: TenantState, kind: str, payload: Any, at: float | None) -> None:
        """Run one kind of work; an arrival schedules its successor first (and may be thinned out)."""
        if payload is None and at is not None:
            self._schedule_arrival(state, kind, at)
            if self.rng.random() * PEAK_SHAPE > shape(at):
                return
        op = self._operation(state, kind, payload)
        if op is not None:
            self._run_op(KIND_CATEGORY[kind], state, op)

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
        if kind == "churn":
            return self._end_subscription if s.subscriptions else None
        if kind in ("pay", "overdue"):
            return lambda c, st: self._settle_invoice(c, st, payload, kind)
        if kind == "profile_edit":
            return self._edit_customer if len(s.customers) else None
        if kind == "restock":
            return self._restock_product if len(s.products) else None
        if kind == "click":
            return self._click if s.sessions else None
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

    # -- customers and products -----------------------------------------------------------
    def _insert_customers(self, cursor: Any, s: TenantState, count: int, *, test_share: float) -> OpResult:
        ids, emails, firsts, lasts, phones, metas, made = [], [], [], [], [], [], []
        for _ in range(count):
            cid = self._id()
            test = self.rng.random() < test_share
            first, last = self._pick(FIRST_NAMES), self._pick(LAST_NAMES)
            domain = self._weighted(D.EMAIL_DOMAINS)
            domain = f"{s.tenant_id.hex[:8]}.example.com" if domain == "company" else domain
            ids.append(str(cid))
            emails.append(f"{first.lower()}.{cid.hex[-10:]}@{domain}".replace("'", ""))
            firsts.append(first)
            lasts.append(last)
            phones.append(None if self.rng.random() < D.PHONE_MISSING_SHARE
                          else f"+1-{self.rng.randrange(201, 990)}-{self.rng.randrange(1000):03d}-"
                               f"{self.rng.randrange(10000):04d}")
            meta: dict[str, Any] = {"test": True} if test else {
                "age_group": self._weighted(D.AGE_GROUPS), "gender": self._weighted(D.GENDERS),
                "acquisition_channel": self._weighted(D.ACQUISITION_CHANNELS),
                "contact_preference": self._weighted(D.CONTACT_PREFERENCES),
                "newsletter": self.rng.random() < D.NEWSLETTER_SHARE}
            metas.append(json.dumps(meta))
            made.append((cid, test))
        cursor.execute(self._sql.insert_customers, [s.tenant_id, ids, emails, firsts, lasts, phones, metas])
        inserted = cursor.rowcount
        self._witnessed_by(T_CUSTOMER, ids[0])

        def apply() -> None:
            for cid, test in made:
                if test:
                    _track(s.test_customers, cid)
                    if self.enabled("remove_test_account"):
                        s.agenda.add(self.clock.now() + self._lag(D.WORKLOAD_TEST_ACCOUNT_HOURS),
                                     "remove_test_account", cid)
                else:
                    s.customers.add(cid)
        return {T_CUSTOMER: {"I": inserted}}, apply

    def _insert_products(self, cursor: Any, s: TenantState) -> OpResult:
        ids, skus, names, categories, prices, costs, stock, made = [], [], [], [], [], [], [], []
        for n in range(20):
            pid = self._id()
            category = self._pick(D.CATEGORIES)
            spec = D.PRICE_RANGES[category]
            price = min(max(float(self.np.lognormal(math.log(spec.median), spec.sigma)), spec.low), spec.high)
            price_d = _money(Decimal(str(price)))
            ids.append(str(pid))
            skus.append(f"SIM-{category[:3].upper()}-{pid.hex[-10:]}")
            names.append(f"{category} essential {n + 1}")
            categories.append(category)
            prices.append(price_d)
            costs.append(_money(price_d * Decimal(str(self.rng.uniform(*D.COST_RATIO)))))
            stock.append(int(self.np.lognormal(math.log(D.STOCK_MEDIAN), D.STOCK_SIGMA)))
            made.append(ProductRef(pid, skus[-1], category, price_d))
        cursor.execute(self._sql.insert_products, [s.tenant_id, ids, skus, names, categories, prices, costs, stock])
        inserted = cursor.rowcount
        self._witnessed_by(T_PRODUCT, ids[0])

        def apply() -> None:
            for product in made:
                s.products.add(product)
        return {T_PRODUCT: {"I": inserted}}, apply

    # -- sessions and orders ----------------------------------------------------------------
    def _session(self, cursor: Any, s: TenantState) -> OpResult:
        """A storefront session walking the funnel; reaching ``purchase`` places an order."""
        stage = 1
        while stage < len(D.FUNNEL_STEPS) and self.rng.random() < D.FUNNEL_CONTINUE[stage - 1]:
            stage += 1
        purchase = stage == len(D.FUNNEL_STEPS) and len(s.customers) > 0
        stage = min(stage, 4) if not purchase else stage
        sid = uuid.UUID(int=self.rng.getrandbits(128)).hex
        if purchase:
            return self._place_order(cursor, s, session=(sid, stage))
        buyer = None
        if len(s.customers) and self.rng.random() < D.AUTHENTICATED_SHARE[stage - 1]:
            buyer = s.customers[s.customers.draw()]
        events = self._session_events(s, stage, [])
        self._write_events(cursor, s, sid, buyer, events)
        return {T_EVENT: {"I": cursor.rowcount}}, lambda: _track(s.sessions, sid)

    def _session_events(self, s: TenantState, stage: int, lines: list[tuple[ProductRef, int]],
                        order: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """The session's events in funnel order, with the seeder's payload shapes."""
        rng, npr = self.rng, self.np
        bounce = stage == 1 and rng.random() < D.BOUNCE_SHARE_OF_BROWSE
        pages = 1 if bounce else 1 + int(npr.geometric(1.0 / (1.0 + D.EXTRA_PAGE_VIEWS_MEAN))) - 1 + (stage == 1)
        device, referrer = self._weighted(D.DEVICE_SHARES), self._weighted(D.REFERRERS)
        events = [("page_view", {"url": self._pick(D.PAGES), "referrer": referrer, "device": device})
                  for _ in range(pages)]
        if stage >= 2:
            if rng.random() < D.SEARCH_SHARE:
                events.append(("search", {"search_term": self._pick(D.CATEGORIES).lower(),
                                          "results": rng.randrange(120)}))
            events += [("click", {"element": self._pick(D.CLICK_ELEMENTS), "url": self._pick(D.PAGES)})
                       for _ in range(int(npr.poisson(D.CLICKS_MEAN)))]
            viewed = lines or [(s.products[s.products.draw()], 1)
                               for _ in range(1 + int(npr.poisson(D.EXTRA_PRODUCT_VIEWS_MEAN)))]
            events += [("product_view", {"product_id": str(p.id), "sku": p.sku, "category": p.category,
                                         "price": str(p.price)}) for p, _q in viewed]
        if stage >= 3:
            carted = lines or [(s.products[s.products.draw()], 1)
                               for _ in range(1 + int(npr.poisson(D.EXTRA_CART_ADDS_MEAN)))]
            events += [("add_to_cart", {"product_id": str(p.id), "sku": p.sku, "quantity": q, "price": str(p.price)})
                       for p, q in carted]
            if not lines and rng.random() < D.REMOVE_FROM_CART_SHARE:
                p = carted[0][0]
                events.append(("remove_from_cart", {"product_id": str(p.id), "sku": p.sku}))
        if stage >= 4:
            value = order["subtotal"] if order else sum((p.price * q for p, q in carted), Decimal(0))
            events.append(("checkout", {"cart_items": len(carted), "cart_value": str(_money(value))}))
        if order is not None:
            events.append(("purchase", {"order_id": order["id"], "order_number": order["number"],
                                        "total": order["total"], "items": len(lines)}))
        return events

    def _write_events(self, cursor: Any, s: TenantState, sid: str, customer: uuid.UUID | None,
                      events: list[tuple[str, dict[str, Any]]]) -> None:
        """Insert a session's events, spread over its duration and ending now (one statement)."""
        stage = max(D.FUNNEL_STEPS.index(k) + 1 for k, _ in events if k in D.FUNNEL_STEPS)
        if len(events) == 1:
            duration_ms = 0
        else:
            median, sigma = D.SESSION_SECONDS[max(stage, 2) - 2]
            seconds = min(float(self.np.lognormal(math.log(median), sigma)), D.SESSION_SECONDS_MAX)
            duration_ms = int(seconds * 1000)
        last = max(len(events) - 1, 1)
        back = [int(duration_ms * (last - i) / last) for i in range(len(events))]
        ids = [str(self._id()) for _ in events]
        ip = f"{self._pick((23, 45, 64, 71, 73, 98, 104, 174))}.{self.rng.randrange(1, 255)}." \
             f"{self.rng.randrange(1, 255)}.{self.rng.randrange(1, 255)}"
        cursor.execute(self._sql.insert_events, [
            s.tenant_id, None if customer is None else str(customer), sid, ip, self._pick(AGENTS), ids,
            [k for k, _ in events], [json.dumps(d) for _, d in events], back])
        self._witnessed_by(T_EVENT, ids[0])

    def _untracked_order(self, cursor: Any, s: TenantState) -> OpResult:
        return self._place_order(cursor, s, session=None)

    def _lines(self, s: TenantState) -> list[tuple[ProductRef, int, Decimal, int]]:
        """(product, quantity, discount, urn index) per line: distinct products, popular ones more often."""
        wanted = 1 + min(int(self.np.poisson(D.ITEMS_EXTRA_MEAN)), D.MAX_ITEMS_PER_ORDER - 1)
        wanted = min(wanted, len(s.products))
        chosen: dict[int, None] = {}
        for _ in range(wanted * 4):
            chosen.setdefault(s.products.draw())
            if len(chosen) == wanted:
                break
        lines = []
        # Sorted by product id: concurrent workers lock the same products in the same order.
        for index in sorted(chosen, key=lambda i: s.products[i].id):
            product = s.products[index]
            quantity = self._weighted(D.QUANTITY_PROBS)
            discount = Decimal(0)
            if self.rng.random() < D.DISCOUNT_LINE_SHARE:
                discount = _money(product.price * quantity * Decimal(str(self.rng.uniform(*D.DISCOUNT_FRACTION))))
            lines.append((product, quantity, discount, index))
        return lines

    def _place_order(self, cursor: Any, s: TenantState, *, session: tuple[str, int] | None) -> OpResult:
        oid = self._id()
        buyer_index = s.customers.draw()
        buyer = s.customers[buyer_index]
        lines = self._lines(s)
        subtotal = sum((p.price * q - d for p, q, d, _i in lines), Decimal(0))
        tax = _money(subtotal * s.tax_rate)
        shipping = Decimal(0) if subtotal >= s.free_shipping else s.shipping_fee
        total = subtotal + tax + shipping
        number = D.order_number(s.next_order)
        metadata: dict[str, Any] = {"payment_method": self._weighted(D.PAYMENT_METHODS)}
        if session is not None:
            metadata.update(channel=D.WEB_CHANNEL, session_id=session[0])
        else:
            metadata["channel"] = self._weighted(D.UNTRACKED_CHANNELS)
        metadata["items"] = len(lines)
        cursor.execute(self._sql.insert_order, [oid, s.tenant_id, buyer, number, subtotal, tax, shipping, total,
                                                json.dumps(metadata)])
        self._witnessed_by(T_ORDER, oid)
        product_ids = [str(p.id) for p, *_ in lines]
        quantities = [q for _p, q, _d, _i in lines]
        cursor.execute(self._sql.insert_items, [
            s.tenant_id, oid, [str(self._id()) for _ in lines], product_ids, quantities,
            [p.price for p, *_ in lines], [d for _p, _q, d, _i in lines]])
        items = cursor.rowcount
        cursor.execute(self._sql.decrement_stock, [s.tenant_id, product_ids, product_ids, quantities, s.tenant_id])
        effects: Effects = {T_ORDER: {"I": 1}, T_ITEM: {"I": items}, T_PRODUCT: {"U": cursor.rowcount}}
        if session is not None:
            order = {"id": str(oid), "number": number, "total": str(total), "subtotal": subtotal}
            events = self._session_events(s, session[1], [(p, q) for p, q, _d, _i in lines], order)
            self._write_events(cursor, s, session[0], buyer, events)
            effects[T_EVENT] = {"I": cursor.rowcount}
        placed = self.clock.now()

        def apply() -> None:
            s.next_order += 1
            s.status["pending"] += 1
            s.customers.hit(buyer_index)
            for *_rest, index in lines:
                s.products.hit(index)
            self._schedule_next(s, placed + self._lag(D.PROCESSING_HOURS), oid, "process")
        return effects, apply

    def _advance_order(self, cursor: Any, s: TenantState, due: tuple[uuid.UUID, bool], step: str) -> OpResult:
        """pending → processing, processing → completed, or pending → cancelled (lines released)."""
        oid, backlog = due
        source, target = {"process": ("pending", "processing"), "complete": ("processing", "completed"),
                          "cancel": ("pending", "cancelled")}[step]
        sql = {"process": self._sql.start_processing, "complete": self._sql.complete_order,
               "cancel": self._sql.cancel_order}[step]
        cursor.execute(sql, [s.tenant_id, oid])
        updated = cursor.rowcount
        self._witnessed_by(T_ORDER, oid)
        effects: Effects = {T_ORDER: {"U": updated}}
        if step == "cancel" and updated:
            cursor.execute(self._sql.delete_order_items, [s.tenant_id, oid])
            effects[T_ITEM] = {"D": cursor.rowcount}
        moved = self.clock.now()

        def apply() -> None:
            if backlog:
                s.released[source] -= 1
            if updated:
                s.status[source] -= 1
                s.status[target] += 1
            self._rebalance(s)
            if step == "process" and updated:
                # Fulfilment takes FULFILMENT_HOURS from the order; processing already took a while.
                wait = max(self._lag(D.FULFILMENT_HOURS) - self._lag(D.PROCESSING_HOURS), 600.0)
                self._schedule_next(s, moved + wait, oid, "complete")
        return effects, apply

    # -- subscriptions and invoices --------------------------------------------------------
    def _new_subscription(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._id()
        plan = self.rng.choices(D.SUBSCRIPTION_PLANS, [share for *_x, share in D.SUBSCRIPTION_PLANS])[0]
        yearly = self.rng.random() < D.YEARLY_SHARE
        cents = round(plan[1] * (1 - D.YEARLY_DISCOUNT)) if yearly else plan[1]
        cursor.execute(self._sql.insert_subscription, [
            sid, s.tenant_id, s.customers[s.customers.draw()], plan[0], "trial", Decimal(cents) / 100,
            "yearly" if yearly else "monthly"])
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"I": 1}}, lambda: _track(s.subscriptions, sid)

    def _end_subscription(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._pick(s.subscriptions)
        status = "cancelled" if self.rng.random() < D.CANCELLED_SHARE_OF_ENDED else "expired"
        cursor.execute(self._sql.end_subscription, [status, s.tenant_id, sid])
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"U": cursor.rowcount}}, lambda: _discard(s.subscriptions, sid)

    def _issue_invoice(self, cursor: Any, s: TenantState) -> OpResult:
        """A subscription's bill (amount as the plan says) or, without one, a one-off invoice."""
        iid = self._id()
        found = None
        sid = None
        if s.subscriptions:
            sid = self._pick(s.subscriptions)
            cursor.execute(self._sql.bill_subscription, [s.tenant_id, sid])
            found = cursor.fetchone()
        if found is None:
            sid = None
            customer = s.customers[s.customers.draw()]
            amount = Decimal(self.rng.randrange(*D.ONE_OFF_AMOUNT_CENTS)) / 100
        else:
            customer, amount = found
        number = D.invoice_number(dt.datetime.now(dt.UTC).date(), s.next_invoice)
        cursor.execute(self._sql.insert_invoice, [iid, s.tenant_id, customer, sid, number, amount,
                                                  D.INVOICE_NET_DAYS])
        self._witnessed_by(T_INVOICE, iid)
        issued = self.clock.now()

        def apply() -> None:
            s.next_invoice += 1
            _track(s.open_invoices, iid)
            if self.rng.random() < D.PAYMENT_SUCCESS:
                lag = min(float(self.np.exponential(D.PAYMENT_LAG_DAYS)), D.INVOICE_NET_DAYS) * SECONDS_PER_DAY
                kind = "pay"
            else:
                lag, kind = D.INVOICE_NET_DAYS * SECONDS_PER_DAY, "overdue"
            if self.enabled(kind):
                s.agenda.add(issued + lag, kind, iid)
        return {T_INVOICE: {"I": 1}}, apply

    def _settle_invoice(self, cursor: Any, s: TenantState, iid: uuid.UUID, kind: str) -> OpResult:
        cursor.execute(self._sql.pay_invoice if kind == "pay" else self._sql.overdue_invoice, [s.tenant_id, iid])
        self._witnessed_by(T_INVOICE, iid)
        return {T_INVOICE: {"U": cursor.rowcount}}, lambda: _discard(s.open_invoices, iid)

    # -- housekeeping (changes no realism figure) -------------------------------------------
    def _edit_customer(self, cursor: Any, s: TenantState) -> OpResult:
        cid = s.customers[s.customers.draw()]
        phone = None if self.rng.random() < 0.7 else \
            f"+1-{self.rng.randrange(201, 990)}-{self.rng.randrange(1000):03d}-{self.rng.randrange(10000):04d}"
        note = json.dumps({"last_seen": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                           "contact_preference": self._weighted(D.CONTACT_PREFERENCES)})
        cursor.execute(self._sql.edit_customer, [phone, note, s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid)
        return {T_CUSTOMER: {"U": cursor.rowcount}}, lambda: None

    def _restock_product(self, cursor: Any, s: TenantState) -> OpResult:
        product = s.products[s.products.draw()]
        units = int(self.np.lognormal(math.log(D.STOCK_MEDIAN / 4), D.STOCK_SIGMA)) + 1
        cursor.execute(self._sql.restock_product, [units, s.tenant_id, product.id])
        rows = cursor.fetchall()
        self._witnessed_by(T_PRODUCT, product.id)
        return {T_PRODUCT: {"U": len(rows)}}, lambda: None

    def _click(self, cursor: Any, s: TenantState) -> OpResult:
        """A click or search inside a recent session: no funnel step, so no funnel figure moves."""
        sid = self._pick(s.sessions)
        kind = "search" if self.rng.random() < D.SEARCH_SHARE else "click"
        data = ({"search_term": self._pick(D.CATEGORIES).lower(), "results": self.rng.randrange(120)}
                if kind == "search" else {"element": self._pick(D.CLICK_ELEMENTS), "url": self._pick(D.PAGES)})
        eid = str(self._id())
        cursor.execute(self._sql.insert_events, [s.tenant_id, None, sid, None, self._pick(AGENTS), [eid], [kind],
                                                 [json.dumps(data)], [0]])
        self._witnessed_by(T_EVENT, eid)
        return {T_EVENT: {"I": cursor.rowcount}}, lambda: None

    def _delete_test_customer(self, cursor: Any, s: TenantState, cid: uuid.UUID | None = None) -> OpResult:
        if cid is None:
            cid = self._pick(s.test_customers)
        cursor.execute(self._sql.delete_test_customer, [s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid, deleted=True)
        return {T_CUSTOMER: {"D": cursor.rowcount}}, lambda: _discard(s.test_customers, cid)


def merge_summaries(parts: list[Summary], seconds: float, failure: str | None = None) -> Summary:
    operations: Counter[str] = Counter()
    ledger = Ledger()
    errors = retries = reconnects = in_doubt = in_doubt_committed = unsettled = 0
    simulated = 0.0
    last_errors: list[str] = []
    for part in parts:
        operations.update(part.operations)
        ledger.add(part.ledger.as_dict())
        errors += part.errors
        retries += part.retries
        reconnects += part.reconnects
        in_doubt += part.in_doubt
        in_doubt_committed += part.in_doubt_committed
        unsettled += part.unsettled
        last_errors += part.last_errors
        simulated = max(simulated, part.simulated_seconds)
    return Summary(seconds, operations, errors, retries, reconnects, ledger, last_errors, in_doubt,
                   in_doubt_committed, simulated, failure, unsettled)


def worker_groups(tenant_ids: list[uuid.UUID], workers: int) -> list[list[uuid.UUID]]:
    """Tenants split between workers; never more workers than tenants.

    A tenant's running order and invoice numbers are kept by one worker, so two workers on
    one tenant would hand out the same number; one tenant per connection at most is also
    all that helps (a tenant's work is paced, not parallel).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")
    count = min(workers, len(tenant_ids))
    return [tenant_ids[i::count] for i in range(count)]


def run_workers(tenant_ids: list[uuid.UUID], *, workers: int = 2, operations: tuple[str, ...] = CATEGORIES,
                seed: int | None = None, seconds: float | None = None, rate_per_minute: float = 0.0,
                time_scale: float | None = D.WORKLOAD_TIME_SCALE, should_stop: Callable[[], bool] = lambda: False,
                status_every: float = 10.0, reconnect_timeout: float = 120.0,
                simulated_seconds: float | None = None) -> Summary:
    """Run simulators in threads, one connection each, and merge their ledgers.

    A worker spends most of its time waiting for PostgreSQL (round trips, commit fsync), and
    psycopg2 releases the GIL while waiting, so two threads roughly double throughput on a
    small machine. Progress is logged (INFO) every ``status_every`` seconds. A worker that
    fails (the server gone for longer than ``reconnect_timeout``) stops the others; the
    summary then still holds everything that committed and names the failure in one sentence.
    """
    groups = worker_groups(tenant_ids, workers)
    if len(groups) < workers:
        log.warning("%d tenant(s): running %d worker(s), not %d (one tenant per connection at most)",
                    len(tenant_ids), len(groups), workers)
    simulators = [Simulator(group, operations=operations, seed=None if seed is None else seed * 1000 + i,
                            time_scale=time_scale, reconnect_timeout=reconnect_timeout)
                  for i, group in enumerate(groups)]
    stop = threading.Event()
    results: list[Summary | BaseException | None] = [None] * len(groups)

    def work(index: int) -> None:
        try:
            results[index] = simulators[index].run(
                seconds=seconds, rate_per_minute=rate_per_minute / len(groups),
                should_stop=lambda: stop.is_set() or should_stop(), simulated_seconds=simulated_seconds)
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
            stop.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,), name=f"simulator-{i}", daemon=True)
               for i in range(len(groups))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    last_total, last_time = 0, started
    while any(thread.is_alive() for thread in threads):
        if should_stop():
            stop.set()
        for thread in threads:
            thread.join(timeout=0.2 / len(threads))
        now = time.monotonic()
        if now - last_time >= status_every:
            total = sum(sum(s.operations.values()) for s in simulators)
            log.info("%s", status_line(simulators, now - started, (total - last_total) / (now - last_time)))
            last_total, last_time = total, now
    elapsed = time.monotonic() - started
    failure = None
    parts = []
    for sim, result in zip(simulators, results, strict=True):
        if isinstance(result, Summary):
            parts.append(result)
        else:  # the worker died: what it committed is still in its ledger
            parts.append(sim.summary(elapsed))
            if isinstance(result, BaseException) and failure is None:
                failure = describe_failure(result)
    return merge_summaries(parts, elapsed, failure)


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, CONNECTION_ERRORS):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"the database went away and did not come back ({first[:160]})"
    return f"a worker failed: {type(exc).__name__}: {str(exc).strip()[:160]}"


def status_line(simulators: list[Simulator], elapsed: float, rate: float) -> str:
    merged: Counter[str] = Counter()
    for sim in simulators:
        merged.update(sim.operations)
    total = sum(merged.values())
    simulated = max((sim.clock.now() - sim.clock.origin for sim in simulators), default=0.0) / 3600
    parts = " ".join(f"{k} {v}" for k, v in sorted(merged.items()))
    return (f"[{elapsed:6.1f}s, simulated {simulated:.2f} h] {total} ops ({rate:.0f}/s) | {parts} | "
            f"errors {sum(s.errors for s in simulators)} reconnects {sum(s.reconnects for s in simulators)}")
