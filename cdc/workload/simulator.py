"""Live, CDC-friendly activity under tenant contexts, with a ledger of what committed.

Each *operation* is one transaction inside ``tenant_context`` as the app role: a new
customer, an order whose items decrement stock, an order moving pending → processing →
completed (or cancelled), a burst of events, an invoice issued/paid/overdue, a subscription
renewing/cancelling/expiring, the items of a cancelled pending order or a test customer
without dependants deleted (never events: they are append-only). SQL is written by hand
(not the ORM) because the benchmark asks for hundreds of transactions per second from one
Python process, and row counts come from ``rowcount`` so the ledger counts exactly the row
changes PostgreSQL logs.

A lost connection (or a PostgreSQL restart) is survived: the simulator reconnects, settles
whether the interrupted transaction committed, counts it if it did and otherwise runs the
operation once more; either way it is counted once. Settling asks ``pg_xact_status`` while
the server is the one the transaction ran on. After a crash restart that answer can describe
another transaction: an xid whose WAL never reached the disk is handed out again by crash
recovery. Then each operation's :class:`Witness`, a row it wrote or deleted, answers instead.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections

from tenancy import tenant_context
from tenancy.ids import uuid7

CATEGORIES = ("orders", "events", "updates", "customers", "payments", "deletes")
#: Relative frequency of each category (events dominate, as on a real shop).
WEIGHTS = {"orders": 25, "events": 35, "updates": 20, "customers": 8, "payments": 8, "deletes": 4}
CONNECTION_ERRORS = (OperationalError, InterfaceError)
#: SQLSTATEs of an OperationalError that mean "rolled back, connection fine": deadlock, serialization.
ROLLED_BACK_CODES = {"40P01", "40001"}
#: Bounded working sets: a long run must not grow memory without limit.
MAX_TRACKED = 5000

#: Ledger keys: the tables the SQL below writes.
T_CUSTOMER, T_PRODUCT, T_ORDER = "models_app_customer", "models_app_product", "models_app_order"
T_ITEM, T_EVENT, T_SUB, T_INVOICE = (
    "models_app_orderitem", "models_app_event", "models_app_subscription", "models_app_invoice")
EVENT_TYPES = ("page_view", "product_view", "search", "click", "add_to_cart", "remove_from_cart", "checkout")
CATEGORIES_OF_PRODUCT = ("Electronics", "Clothing", "Home", "Books", "Sports")
SEARCHES = ("men's \"running\" shoes", "O'Reilly books", "4K TV", "kids' bike", "naïve café mug")
AGENTS = ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)", "curl/8.5")

# -- SQL (constant text; multi-row writes pass arrays and unnest them) -------------------
LOAD_SQL = {
    "customers": "SELECT id FROM models_app_customer WHERE is_active LIMIT 2000",
    "pending": "SELECT id FROM models_app_order WHERE status = 'pending' LIMIT 1000",
    "processing": "SELECT id FROM models_app_order WHERE status = 'processing' LIMIT 1000",
    "subscriptions": "SELECT id FROM models_app_subscription WHERE status IN ('active', 'trial') LIMIT 1000",
    "open_invoices": "SELECT id FROM models_app_invoice WHERE status IN ('sent', 'draft') LIMIT 1000",
    "test_customers": (
        "SELECT c.id FROM models_app_customer c WHERE c.metadata @> '{\"test\": true}' AND "
        "NOT EXISTS (SELECT 1 FROM models_app_order o WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM models_app_event e WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM models_app_subscription x "
        "WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM models_app_invoice i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id)"
        " LIMIT 200"
    ),
}
LOAD_PRODUCTS_SQL = "SELECT id, price FROM models_app_product WHERE is_active LIMIT 500"
INSERT_CUSTOMERS_SQL = (
    "INSERT INTO models_app_customer (id, tenant_id, created_at, updated_at, email, first_name, last_name, "
    "phone, is_active, metadata) SELECT v.id, %s, now(), now(), v.email, v.first, v.last, v.phone, true, "
    "v.meta::jsonb FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
    "AS v(id, email, first, last, phone, meta)"
)
INSERT_PRODUCTS_SQL = (
    "INSERT INTO models_app_product (id, tenant_id, created_at, updated_at, sku, name, description, category, "
    "price, cost, stock_quantity, is_active) SELECT v.id, %s, now(), now(), v.sku, v.name, "
    "'A \"simulated\" product', v.category, v.price, v.cost, 500, true "
    "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::numeric[], %s::numeric[]) "
    "AS v(id, sku, name, category, price, cost)"
)
INSERT_ORDER_SQL = (
    "INSERT INTO models_app_order (id, tenant_id, created_at, updated_at, customer_id, order_number, status, "
    "subtotal, tax, shipping, total, order_date, completed_at, metadata) "
    "VALUES (%s, %s, now(), now(), %s, %s, 'pending', %s, %s, %s, %s, now(), NULL, %s)"
)
INSERT_ITEMS_SQL = (
    "INSERT INTO models_app_orderitem (id, tenant_id, created_at, updated_at, order_id, product_id, quantity, "
    "unit_price, discount, total) SELECT v.id, %s, now(), now(), %s, v.product, v.quantity, v.price, 0, "
    "v.price * v.quantity FROM unnest(%s::uuid[], %s::uuid[], %s::int[], %s::numeric[]) "
    "AS v(id, product, quantity, price)"
)
DECREMENT_STOCK_SQL = (
    # The products are locked in id order first (FOR NO KEY UPDATE, the lock UPDATE takes, which
    # does not conflict with the KEY SHARE locks of foreign-key checks), so two workers ordering
    # the same products cannot deadlock.
    "UPDATE models_app_product AS p SET stock_quantity = CASE WHEN p.stock_quantity >= v.q "
    "THEN p.stock_quantity - v.q ELSE p.stock_quantity + 500 END "
    "FROM (SELECT l.id, u.q FROM (SELECT id FROM models_app_product WHERE tenant_id = %s AND id = ANY(%s::uuid[]) "
    "ORDER BY id FOR NO KEY UPDATE) AS l JOIN unnest(%s::uuid[], %s::int[]) AS u(id, q) ON u.id = l.id) AS v "
    "WHERE p.tenant_id = %s AND p.id = v.id"
)
INSERT_EVENTS_SQL = (
    "INSERT INTO models_app_event (id, tenant_id, created_at, updated_at, customer_id, session_id, event_type, "
    "event_data, ip_address, user_agent) SELECT v.id, %s, now(), now(), %s::uuid, %s, v.kind, v.data::jsonb, "
    "v.ip::inet, v.agent FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[]) "
    "AS v(id, kind, data, ip, agent)"
)
COMPLETE_ORDER_SQL = (
    "UPDATE models_app_order SET status = 'completed', completed_at = now() "
    "WHERE tenant_id = %s AND id = %s AND status = 'processing'"
)
MOVE_PENDING_ORDER_SQL = (
    "UPDATE models_app_order SET status = %s WHERE tenant_id = %s AND id = %s AND status = 'pending'"
)
UPDATE_CUSTOMER_SQL = (
    "UPDATE models_app_customer SET phone = %s, metadata = metadata || %s::jsonb WHERE tenant_id = %s AND id = %s"
)
REPRICE_PRODUCT_SQL = (
    "UPDATE models_app_product SET price = round(price * %s, 2), stock_quantity = stock_quantity + 10 "
    "WHERE tenant_id = %s AND id = %s AND round(price * %s, 2) > cost RETURNING price"
)
INSERT_SUBSCRIPTION_SQL = (
    "INSERT INTO models_app_subscription (id, tenant_id, created_at, updated_at, customer_id, plan_name, status, "
    "start_date, end_date, monthly_amount, billing_cycle) "
    "VALUES (%s, %s, now(), now(), %s, %s, %s, current_date, current_date + 30, %s, %s)"
)
INSERT_INVOICE_SQL = (
    "INSERT INTO models_app_invoice (id, tenant_id, created_at, updated_at, customer_id, subscription_id, "
    "invoice_number, amount, status, issue_date, due_date, paid_date) "
    "VALUES (%s, %s, now(), now(), %s, %s, %s, %s, 'sent', current_date, current_date + 14, NULL)"
)
PAY_INVOICE_SQL = (
    "UPDATE models_app_invoice SET status = 'paid', paid_date = greatest(issue_date, current_date) "
    "WHERE tenant_id = %s AND id = %s AND status IN ('sent', 'draft', 'overdue')"
)
OVERDUE_INVOICE_SQL = (
    "UPDATE models_app_invoice SET status = 'overdue' WHERE tenant_id = %s AND id = %s AND status = 'sent'"
)
RENEW_SUBSCRIPTION_SQL = (
    "UPDATE models_app_subscription SET status = 'active', "
    "end_date = greatest(coalesce(end_date, start_date), current_date) + 30 "
    "WHERE tenant_id = %s AND id = %s AND status IN ('active', 'trial') RETURNING customer_id, monthly_amount"
)
END_SUBSCRIPTION_SQL = (
    "UPDATE models_app_subscription SET status = %s, end_date = greatest(start_date, current_date) "
    "WHERE tenant_id = %s AND id = %s AND status IN ('active', 'trial')"
)
CANCEL_PENDING_ORDER_SQL = (
    "UPDATE models_app_order SET status = 'cancelled', subtotal = 0, tax = 0, shipping = 0, total = 0 "
    "WHERE tenant_id = %s AND id = %s AND status = 'pending'"
)
DELETE_ORDER_ITEMS_SQL = "DELETE FROM models_app_orderitem WHERE tenant_id = %s AND order_id = %s"
DELETE_TEST_CUSTOMER_SQL = (
    "DELETE FROM models_app_customer c WHERE c.tenant_id = %s AND c.id = %s AND "
    "NOT EXISTS (SELECT 1 FROM models_app_order o WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.id) "
    "AND NOT EXISTS (SELECT 1 FROM models_app_event e WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id) "
    "AND NOT EXISTS (SELECT 1 FROM models_app_subscription x "
    "WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.id) "
    "AND NOT EXISTS (SELECT 1 FROM models_app_invoice i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id)"

)

Effects = dict[str, dict[str, int]]
OpResult = tuple[Effects, Callable[[], None]]
#: An xid8 keeps its epoch; a row's ``xmin`` holds only the low 32 bits.
XID_MASK = 0xFFFFFFFF


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
        if self.table not in WITNESS_TABLES:
            raise ValueError(f"no witness query for {self.table}")
        return f"SELECT xmin::text FROM {self.table} WHERE id = %s"  # noqa: S608 (table from a fixed set)


OPS = ("I", "U", "D")
WITNESS_TABLES = frozenset({T_CUSTOMER, T_PRODUCT, T_ORDER, T_ITEM, T_EVENT, T_SUB, T_INVOICE})


@dataclass
class Ledger:
    """Committed row changes per table: ``{table: Counter({"I": n, "U": n, "D": n})}``."""

    tables: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, effects: Mapping[str, Mapping[str, int]]) -> None:
        for table, counts in effects.items():
            for op, n in counts.items():
                if op not in OPS:
                    raise ValueError(f"unknown operation {op!r} for {table}")
                if n:
                    self.tables[table][op] += n

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {t: {op: c[op] for op in OPS} for t, c in sorted(self.tables.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, int]]) -> Ledger:
        ledger = cls()
        ledger.add(data)
        return ledger


@dataclass
class TenantState:
    """What the simulator knows about one tenant (a sample, refreshed by its own writes)."""

    tenant_id: uuid.UUID
    customers: list[uuid.UUID] = field(default_factory=list)
    products: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)
    pending: list[uuid.UUID] = field(default_factory=list)
    processing: list[uuid.UUID] = field(default_factory=list)
    subscriptions: list[uuid.UUID] = field(default_factory=list)
    open_invoices: list[uuid.UUID] = field(default_factory=list)
    test_customers: list[uuid.UUID] = field(default_factory=list)


def _track(items: list[Any], item: Any) -> None:
    items.append(item)
    if len(items) > MAX_TRACKED:
        del items[: len(items) - MAX_TRACKED]


def _discard(items: list[Any], item: Any) -> None:
    with contextlib.suppress(ValueError):
        items.remove(item)


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

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3), "operations": self.total,
            "ops_per_second": round(self.total / self.seconds, 1) if self.seconds else None,
            "by_type": dict(sorted(self.operations.items())), "errors": self.errors, "retries": self.retries,
            "reconnects": self.reconnects, "in_doubt": self.in_doubt, "in_doubt_committed": self.in_doubt_committed,
            "ledger": self.ledger.as_dict(), "row_changes": self.ledger.total(),
            "last_errors": self.last_errors[-5:],
        }


class Simulator:
    def __init__(self, tenant_ids: list[uuid.UUID], *, operations: tuple[str, ...] = CATEGORIES,
                 seed: int | None = None, using: str = "default", reconnect_timeout: float = 120.0) -> None:
        if not tenant_ids:
            raise ValueError("the simulator needs at least one tenant")
        unknown = set(operations) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown operations: {', '.join(sorted(unknown))}")
        self.rng = random.Random(seed)
        self.using = using
        self.reconnect_timeout = reconnect_timeout
        self.categories = list(operations)
        self.weights = [WEIGHTS[c] for c in self.categories]
        self.states = [TenantState(t) for t in tenant_ids]
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

    # -- ids and values -----------------------------------------------------------------
    def _id(self) -> uuid.UUID:
        return uuid7(random_bytes=self.rng.randbytes(10))

    def _number(self, prefix: str) -> str:
        """A business key unique per tenant: time-ordered like the ids, random in its tail."""
        value = self._id().hex
        return f"{prefix}-{value[:12]}{value[-12:]}"

    def _pick(self, items: list[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    # -- setup --------------------------------------------------------------------------
    def prepare(self) -> None:
        """Load a working sample per tenant; give empty tenants customers and products."""
        for state in self.states:
            self._run_op("setup", state, self._load_state)
            if len(state.customers) < 5:
                self._run_op("setup", state, lambda c, s: self._insert_customers(c, s, 20, test_share=0.0))
            if len(state.products) < 5:
                self._run_op("setup", state, self._insert_products)
        self._prepared = True

    def _load_state(self, cursor: Any, state: TenantState) -> OpResult:
        loaded: dict[str, list[Any]] = {}
        for name, sql in LOAD_SQL.items():
            cursor.execute(sql)
            loaded[name] = [row[0] for row in cursor.fetchall()]
        cursor.execute(LOAD_PRODUCTS_SQL)
        products = list(cursor.fetchall())
        test = set(loaded["test_customers"])

        def apply() -> None:
            for name, values in loaded.items():
                setattr(state, name, values)
            state.customers = [c for c in state.customers if c not in test]
            state.products = products
        return {}, apply

    # -- the loop -----------------------------------------------------------------------
    def run(self, *, seconds: float | None, rate_per_minute: float,
            should_stop: Callable[[], bool] = lambda: False,
            on_status: Callable[[str], None] | None = None) -> Summary:
        """Run until ``seconds`` pass (None: until stopped) at ``rate_per_minute`` (0: flat out)."""
        if not self._prepared:
            self.prepare()
        interval = 60.0 / rate_per_minute if rate_per_minute > 0 else 0.0
        started = time.monotonic()
        next_at = started
        last_status, last_count = started, 0
        try:
            while not should_stop():
                now = time.monotonic()
                if seconds is not None and now - started >= seconds:
                    break
                if interval:
                    if next_at > now:
                        time.sleep(min(next_at - now, 0.05))
                        continue
                    next_at = max(next_at + interval, now - 1.0)  # catch up at most 1 s of backlog
                self.step()
                if on_status is not None and now - last_status >= 1.0:
                    total = sum(self.operations.values())
                    on_status(self.status_line(now - started, (total - last_count) / (now - last_status)))
                    last_status, last_count = now, total
        except KeyboardInterrupt:
            pass
        return Summary(time.monotonic() - started, Counter(self.operations), self.errors, self.retries,
                       self.reconnects, self.ledger, self.last_errors, self.in_doubt, self.in_doubt_committed)

    def status_line(self, elapsed: float, rate: float) -> str:
        parts = " ".join(f"{k} {v}" for k, v in sorted(self.operations.items()))
        return (f"[{elapsed:6.1f}s] {sum(self.operations.values())} ops ({rate:.0f}/s) | {parts} | "
                f"errors {self.errors} reconnects {self.reconnects}")

    def step(self) -> None:
        category = self.rng.choices(self.categories, self.weights)[0]
        state = self._pick(self.states)
        name, op = self._choose(category, state)
        self._run_op(name, state, op)

    def _choose(self, category: str, s: TenantState) -> tuple[str, Callable[[Any, TenantState], OpResult]]:
        r = self.rng.random()
        if category == "orders":
            return "orders", self._new_order
        if category == "events":
            return "events", self._new_events
        if category == "customers":
            if r < 0.25 and s.customers:
                return "customers", self._new_subscription
            return "customers", lambda c, st: self._insert_customers(c, st, 1, test_share=0.3)
        if category == "updates":
            if r < 0.6 and (s.pending or s.processing):
                return "updates", self._advance_order
            if r < 0.8:
                return "updates", self._update_customer
            return "updates", self._reprice_product
        if category == "payments":
            if r < 0.35 or not (s.open_invoices or s.subscriptions):
                return "payments", self._issue_invoice
            if r < 0.6 and s.open_invoices:
                return "payments", self._pay_invoice
            if r < 0.7 and s.open_invoices:
                return "payments", self._overdue_invoice
            if s.subscriptions:
                return "payments", self._subscription_lifecycle
            return "payments", self._issue_invoice
        # deletes
        if s.test_customers and (r < 0.5 or not s.pending):
            return "deletes", self._delete_test_customer
        if s.pending:
            return "deletes", self._cancel_pending_order
        return "customers", lambda c, st: self._insert_customers(c, st, 1, test_share=1.0)

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
                self._reconnect()
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

    def _witnessed_by(self, table: str, row_id: uuid.UUID | str, *, deleted: bool = False) -> None:
        """Record the row that will show whether this operation's transaction committed."""
        self._witness = Witness(table, row_id, deleted)

    def _count(self, name: str, result: OpResult) -> None:
        effects, on_commit = result
        self.ledger.add(effects)
        on_commit()
        if name != "setup":
            self.operations[name] += 1

    def _note(self, message: str) -> None:
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

    # -- operations ---------------------------------------------------------------------
    def _insert_customers(self, cursor: Any, s: TenantState, count: int, *, test_share: float) -> OpResult:
        ids, emails, firsts, lasts, phones, metas, made = [], [], [], [], [], [], []
        for _ in range(count):
            cid = self._id()
            test = self.rng.random() < test_share
            ids.append(str(cid))
            emails.append(f"{cid.hex}@example.com")
            firsts.append(self.rng.choice(("Ann", "Bo", "Chloë", "D'Arcy", "Émile", "Fatima", "Gus")))
            lasts.append(self.rng.choice(("O'Neil", "Smith", "Ng")))
            phones.append(None if self.rng.random() < 0.3 else f"+1-555-{self.rng.randrange(10**7):07d}")
            metas.append(json.dumps({"test": True} if test else {"segment": self.rng.choice(("consumer", "smb"))}))
            made.append((cid, test))
        cursor.execute(INSERT_CUSTOMERS_SQL, [s.tenant_id, ids, emails, firsts, lasts, phones, metas])
        inserted = cursor.rowcount
        self._witnessed_by(T_CUSTOMER, ids[0])

        def apply() -> None:
            for cid, test in made:
                _track(s.test_customers if test else s.customers, cid)
        return {T_CUSTOMER: {"I": inserted}}, apply

    def _insert_products(self, cursor: Any, s: TenantState) -> OpResult:
        ids, skus, names, categories, prices, costs, made = [], [], [], [], [], [], []
        for n in range(20):
            pid = self._id()
            price = Decimal(self.rng.randrange(500, 50000)) / 100
            ids.append(str(pid))
            skus.append(f"SIM-{pid.hex[:12]}{pid.hex[-12:]}")
            names.append(f"Simulated product {n}")
            categories.append(self.rng.choice(CATEGORIES_OF_PRODUCT))
            prices.append(price)
            costs.append((price * Decimal("0.6")).quantize(Decimal("0.01")))
            made.append((pid, price))
        cursor.execute(INSERT_PRODUCTS_SQL, [s.tenant_id, ids, skus, names, categories, prices, costs])
        inserted = cursor.rowcount
        self._witnessed_by(T_PRODUCT, ids[0])
        return {T_PRODUCT: {"I": inserted}}, lambda: s.products.extend(made)

    def _new_order(self, cursor: Any, s: TenantState) -> OpResult:
        oid = self._id()
        # Sorted by product id: concurrent workers lock the same products in the same order.
        lines = sorted(self.rng.sample(s.products, min(len(s.products), self.rng.randint(1, 4))))
        quantities = [self.rng.randint(1, 3) for _ in lines]
        subtotal = sum((price * q for (_pid, price), q in zip(lines, quantities, strict=True)), Decimal("0"))
        tax = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
        shipping = Decimal("0.00") if subtotal > 50 else Decimal("5.99")
        metadata = json.dumps({"channel": self.rng.choice(("web", "app")), "coupon": None})
        cursor.execute(INSERT_ORDER_SQL, [oid, s.tenant_id, self._pick(s.customers), self._number("ORD"),
                                          subtotal, tax, shipping, subtotal + tax + shipping, metadata])
        self._witnessed_by(T_ORDER, oid)
        product_ids = [str(pid) for pid, _price in lines]
        prices = [price for _pid, price in lines]
        cursor.execute(INSERT_ITEMS_SQL, [s.tenant_id, oid, [str(self._id()) for _ in lines], product_ids,
                                          quantities, prices])
        inserted = cursor.rowcount
        cursor.execute(DECREMENT_STOCK_SQL, [s.tenant_id, product_ids, product_ids, quantities, s.tenant_id])
        updated = cursor.rowcount
        return ({T_ORDER: {"I": 1}, T_ITEM: {"I": inserted}, T_PRODUCT: {"U": updated}},
                lambda: _track(s.pending, oid))

    def _new_events(self, cursor: Any, s: TenantState) -> OpResult:
        count = self.rng.randint(1, 3)
        session = f"sess-{self.rng.getrandbits(64):016x}"
        customer = str(self._pick(s.customers)) if self.rng.random() < 0.7 else None
        ids, kinds, payloads, ips, agents = [], [], [], [], []
        for _ in range(count):
            kind = self.rng.choice(EVENT_TYPES)
            data: dict[str, Any] = {"url": f"/p/{self.rng.randrange(1000)}"}
            if kind == "search":
                data = {"query": self.rng.choice(SEARCHES), "results": self.rng.randrange(50)}
            ids.append(str(self._id()))
            kinds.append(kind)
            payloads.append(json.dumps(data))
            ips.append(self.rng.choice((None, f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.7",
                                        "2001:db8::42")))
            agents.append(self.rng.choice(AGENTS))
        cursor.execute(INSERT_EVENTS_SQL, [s.tenant_id, customer, session, ids, kinds, payloads, ips, agents])
        self._witnessed_by(T_EVENT, ids[0])
        return {T_EVENT: {"I": cursor.rowcount}}, lambda: None

    def _advance_order(self, cursor: Any, s: TenantState) -> OpResult:
        if s.processing and (not s.pending or self.rng.random() < 0.5):
            oid = self._pick(s.processing)
            cursor.execute(COMPLETE_ORDER_SQL, [s.tenant_id, oid])
            self._witnessed_by(T_ORDER, oid)
            return {T_ORDER: {"U": cursor.rowcount}}, lambda: _discard(s.processing, oid)
        oid = self._pick(s.pending)
        target = "cancelled" if self.rng.random() < 0.1 else "processing"
        cursor.execute(MOVE_PENDING_ORDER_SQL, [target, s.tenant_id, oid])
        updated = cursor.rowcount
        self._witnessed_by(T_ORDER, oid)

        def apply() -> None:
            _discard(s.pending, oid)
            if target == "processing" and updated:
                _track(s.processing, oid)
        return {T_ORDER: {"U": updated}}, apply

    def _update_customer(self, cursor: Any, s: TenantState) -> OpResult:
        note = json.dumps({"last_seen": time.time(), "note": "it's \"vip\""})
        cid = self._pick(s.customers)
        cursor.execute(UPDATE_CUSTOMER_SQL, [f"+44 20 {self.rng.randrange(10**8):08d}", note, s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid)
        return {T_CUSTOMER: {"U": cursor.rowcount}}, lambda: None

    def _reprice_product(self, cursor: Any, s: TenantState) -> OpResult:
        pid, _price = self._pick(s.products)
        factor = Decimal(self.rng.choice(("0.95", "1.05", "1.10")))
        cursor.execute(REPRICE_PRODUCT_SQL, [factor, s.tenant_id, pid, factor])
        rows = cursor.fetchall()
        self._witnessed_by(T_PRODUCT, pid)

        def apply() -> None:
            if rows:
                for index, (known, _old) in enumerate(s.products):
                    if known == pid:
                        s.products[index] = (pid, rows[0][0])
        return {T_PRODUCT: {"U": len(rows)}}, apply

    def _new_subscription(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._id()
        cursor.execute(INSERT_SUBSCRIPTION_SQL, [
            sid, s.tenant_id, self._pick(s.customers), self.rng.choice(("Basic", "Pro", "Team")),
            self.rng.choice(("active", "trial")), Decimal(self.rng.choice(("9.99", "29.00", "99.00"))),
            self.rng.choice(("monthly", "yearly"))])
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"I": 1}}, lambda: _track(s.subscriptions, sid)

    def _issue_invoice(self, cursor: Any, s: TenantState) -> OpResult:
        iid = self._id()
        cursor.execute(INSERT_INVOICE_SQL, [iid, s.tenant_id, self._pick(s.customers), None, self._number("INV"),
                                            Decimal(self.rng.randrange(1000, 90000)) / 100])
        self._witnessed_by(T_INVOICE, iid)
        return {T_INVOICE: {"I": 1}}, lambda: _track(s.open_invoices, iid)

    def _pay_invoice(self, cursor: Any, s: TenantState) -> OpResult:
        iid = self._pick(s.open_invoices)
        cursor.execute(PAY_INVOICE_SQL, [s.tenant_id, iid])
        self._witnessed_by(T_INVOICE, iid)
        return {T_INVOICE: {"U": cursor.rowcount}}, lambda: _discard(s.open_invoices, iid)

    def _overdue_invoice(self, cursor: Any, s: TenantState) -> OpResult:
        iid = self._pick(s.open_invoices)
        cursor.execute(OVERDUE_INVOICE_SQL, [s.tenant_id, iid])
        self._witnessed_by(T_INVOICE, iid)
        return {T_INVOICE: {"U": cursor.rowcount}}, lambda: None

    def _subscription_lifecycle(self, cursor: Any, s: TenantState) -> OpResult:
        sid = self._pick(s.subscriptions)
        r = self.rng.random()
        if r < 0.6:  # renewal: extend the period and bill it
            cursor.execute(RENEW_SUBSCRIPTION_SQL, [s.tenant_id, sid])
            found = cursor.fetchall()
            if not found:
                return {}, lambda: _discard(s.subscriptions, sid)
            iid = self._id()
            cursor.execute(INSERT_INVOICE_SQL, [iid, s.tenant_id, found[0][0], sid, self._number("INV"), found[0][1]])
            self._witnessed_by(T_INVOICE, iid)
            return {T_SUB: {"U": 1}, T_INVOICE: {"I": 1}}, lambda: _track(s.open_invoices, iid)
        target = "cancelled" if r < 0.85 else "expired"
        cursor.execute(END_SUBSCRIPTION_SQL, [target, s.tenant_id, sid])
        self._witnessed_by(T_SUB, sid)
        return {T_SUB: {"U": cursor.rowcount}}, lambda: _discard(s.subscriptions, sid)

    def _cancel_pending_order(self, cursor: Any, s: TenantState) -> OpResult:
        """An abandoned checkout: the pending order is cancelled and its items deleted."""
        oid = self._pick(s.pending)
        cursor.execute(CANCEL_PENDING_ORDER_SQL, [s.tenant_id, oid])
        updated = cursor.rowcount
        self._witnessed_by(T_ORDER, oid)
        deleted = 0
        if updated:
            cursor.execute(DELETE_ORDER_ITEMS_SQL, [s.tenant_id, oid])
            deleted = cursor.rowcount
        return {T_ORDER: {"U": updated}, T_ITEM: {"D": deleted}}, lambda: _discard(s.pending, oid)

    def _delete_test_customer(self, cursor: Any, s: TenantState) -> OpResult:
        cid = self._pick(s.test_customers)
        cursor.execute(DELETE_TEST_CUSTOMER_SQL, [s.tenant_id, cid])
        self._witnessed_by(T_CUSTOMER, cid, deleted=True)
        return {T_CUSTOMER: {"D": cursor.rowcount}}, lambda: _discard(s.test_customers, cid)


def merge_summaries(parts: list[Summary], seconds: float) -> Summary:
    operations: Counter[str] = Counter()
    ledger = Ledger()
    errors = retries = reconnects = in_doubt = in_doubt_committed = 0
    last_errors: list[str] = []
    for part in parts:
        operations.update(part.operations)
        ledger.add(part.ledger.as_dict())
        errors += part.errors
        retries += part.retries
        reconnects += part.reconnects
        in_doubt += part.in_doubt
        in_doubt_committed += part.in_doubt_committed
        last_errors += part.last_errors
    return Summary(seconds, operations, errors, retries, reconnects, ledger, last_errors, in_doubt,
                   in_doubt_committed)


def run_workers(tenant_ids: list[uuid.UUID], *, workers: int = 2, operations: tuple[str, ...] = CATEGORIES,
                seed: int | None = None, seconds: float | None = None, rate_per_minute: float = 0.0,
                should_stop: Callable[[], bool] = lambda: False,
                on_status: Callable[[str], None] | None = None) -> Summary:
    """Run ``workers`` simulators in threads, each with its own connection, and merge their ledgers.

    A worker spends most of its time waiting for PostgreSQL (round trips, commit fsync), and
    psycopg2 releases the GIL while waiting, so two threads roughly double throughput on a
    small machine. Tenants are split between workers when there are enough of them (no
    two workers touch one tenant's rows); otherwise workers share tenants and their guarded
    updates (``AND status = 'pending'``) keep the ledger exact.
    """
    import threading

    from django.db import connections as all_connections

    if workers < 1:
        raise ValueError("workers must be at least 1")
    if len(tenant_ids) >= workers:
        groups = [tenant_ids[i::workers] for i in range(workers)]
    else:
        groups = [list(tenant_ids) for _ in range(workers)]
    simulators = [Simulator(group, operations=operations, seed=None if seed is None else seed * 1000 + i)
                  for i, group in enumerate(groups)]
    stop = threading.Event()
    results: list[Summary | BaseException | None] = [None] * workers

    def work(index: int) -> None:
        try:
            results[index] = simulators[index].run(
                seconds=seconds, rate_per_minute=rate_per_minute / workers,
                should_stop=lambda: stop.is_set() or should_stop())
        except BaseException as exc:  # reported by the main thread
            results[index] = exc
            stop.set()
        finally:
            all_connections.close_all()

    threads = [threading.Thread(target=work, args=(i,), name=f"simulator-{i}", daemon=True) for i in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    last_total, last_time = 0, started
    try:
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=1.0 / workers)
            now = time.monotonic()
            if on_status is not None and now - last_time >= 1.0:
                total = sum(sum(s.operations.values()) for s in simulators)
                merged: Counter[str] = Counter()
                for sim in simulators:
                    merged.update(sim.operations)
                parts = " ".join(f"{k} {v}" for k, v in sorted(merged.items()))
                errors = sum(s.errors for s in simulators)
                reconnects = sum(s.reconnects for s in simulators)
                on_status(f"[{now - started:6.1f}s] {total} ops ({(total - last_total) / (now - last_time):.0f}/s)"
                          f" | {parts} | errors {errors} reconnects {reconnects}")
                last_total, last_time = total, now
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    return merge_summaries([r for r in results if isinstance(r, Summary)], elapsed)
