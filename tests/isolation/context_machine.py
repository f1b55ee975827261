"""Property 3, context: a state machine that enters, nests, leaves and breaks tenant contexts.

After every step the connection's own ``current_setting('app.tenant_id', true)`` must be
the innermost active context (or empty outside any), and outside a context no query may
return a row. Writes made inside contexts are tracked per frame, so the machine also
checks that a context that raised took its writes with it and that a committed one did not.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import nullcontext
from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.db import connection, connections, transaction
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from models_app.models import Customer
from rls.sql import qn
from tenancy import TenantContextRequired, current_tenant_id, database_tenant_id, tenant_context
from tests.isolation.model import IsolationViolation, tables


class Boom(RuntimeError):
    """Raised inside a context by the machine."""


def committed_customers(conn: Any, tenants: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = {t: set() for t in tenants}
    with conn.cursor() as cursor:
        cursor.execute("SELECT tenant_id, id FROM models_app_customer WHERE tenant_id = ANY(%s::uuid[])",
                       [[str(t) for t in tenants]])
        for tenant_id, row_id in cursor.fetchall():
            out[uuid.UUID(str(tenant_id))].add(uuid.UUID(str(row_id)))
    return out


def _task(tenant: uuid.UUID) -> tuple[str, set[uuid.UUID]]:
    """What a worker thread (asyncio task) sees under its own context; closes its connection."""
    try:
        with tenant_context(tenant):
            return database_tenant_id(), set(Customer.objects.values_list("id", flat=True))
    finally:
        connection.close()


class ContextMachine(RuleBasedStateMachine):
    #: Set by the test before running: the tenants and a replication-role connection.
    tenants: ClassVar[list[uuid.UUID]] = []
    replication: ClassVar[Any] = None
    #: Whether the machine may start asyncio tasks (each opens its own connection).
    with_tasks: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[tenant_context, uuid.UUID]] = []
        self.frames: list[list[tuple[uuid.UUID, uuid.UUID]]] = []
        self.committed = committed_customers(self.replication, self.tenants)

    def _tenant(self, index: int) -> uuid.UUID:
        return self.tenants[index % len(self.tenants)]

    def _visible(self, tenant: uuid.UUID) -> set[uuid.UUID]:
        pending = {row for frame in self.frames for (t, row) in frame if t == tenant}
        return self.committed[tenant] | pending

    @rule(index=st.integers(0, 7))
    def enter(self, index: int) -> None:
        tenant = self._tenant(index)
        ctx = tenant_context(tenant)
        ctx.__enter__()
        self.stack.append((ctx, tenant))
        self.frames.append([])

    @precondition(lambda self: self.stack)
    @rule()
    def leave(self) -> None:
        ctx, _ = self.stack.pop()
        ctx.__exit__(None, None, None)
        frame = self.frames.pop()
        if self.frames:
            self.frames[-1].extend(frame)
        else:
            for tenant, row in frame:
                self.committed[tenant].add(row)

    @precondition(lambda self: self.stack)
    @rule()
    def leave_raising(self) -> None:
        ctx, _ = self.stack.pop()
        self.frames.pop()
        error = Boom("raised inside a tenant context")
        if ctx.__exit__(Boom, error, None):
            raise IsolationViolation("tenant_context swallowed an exception")

    @precondition(lambda self: self.stack)
    @rule()
    def write(self) -> None:
        tenant = self.stack[-1][1]
        customer = Customer.objects.create(email=f"ctx-{uuid.uuid4().hex[:12]}@example.com", first_name="Ctx",
                                           last_name="Machine")
        if customer.tenant_id != tenant:
            raise IsolationViolation(f"a customer written under {tenant} belongs to {customer.tenant_id}")
        self.frames[-1].append((tenant, customer.id))

    @precondition(lambda self: self.stack)
    @rule()
    def read(self) -> None:
        tenant = self.stack[-1][1]
        got = set(Customer.objects.values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM models_app_customer")
            raw = {uuid.UUID(str(r[0])) for r in cursor.fetchall()}
        want = self._visible(tenant)
        if got != want or raw != want:
            raise IsolationViolation(f"under {tenant}: ORM {len(got)} / raw {len(raw)} customers, expected {len(want)}")

    @precondition(lambda self: not self.stack)
    @rule(in_transaction=st.booleans())
    def read_outside(self, in_transaction: bool) -> None:
        try:
            Customer.objects.count()
        except TenantContextRequired:
            pass
        else:
            raise IsolationViolation("the ORM ran a query outside a tenant context")
        with transaction.atomic() if in_transaction else nullcontext(), connection.cursor() as cursor:
            for table in tables():
                cursor.execute(f"SELECT count(*) FROM {qn(table)}")
                count = cursor.fetchone()[0]
                if count:
                    raise IsolationViolation(f"outside any context {count} rows of {table} are visible")

    @precondition(lambda self: not self.stack)
    @rule()
    def reconnect(self) -> None:
        connections["default"].close()

    @precondition(lambda self: self.with_tasks)
    @rule(indices=st.lists(st.integers(0, 7), min_size=1, max_size=4))
    def asyncio_tasks(self, indices: list[int]) -> None:
        tenants = [self._tenant(i) for i in indices]

        async def main() -> list[tuple[str, set[uuid.UUID]]]:
            return await asyncio.gather(*(sync_to_async(_task, thread_sensitive=False)(t) for t in tenants))

        for tenant, (setting, ids) in zip(tenants, asyncio.run(main()), strict=True):
            if setting != str(tenant) or ids != self.committed[tenant]:
                raise IsolationViolation(f"an asyncio task under {tenant} saw setting {setting!r} and "
                                         f"{len(ids)} customers (expected {len(self.committed[tenant])})")

    @invariant()
    def setting_is_the_innermost_context(self) -> None:
        want = str(self.stack[-1][1]) if self.stack else ""
        got = database_tenant_id()
        if got != want:
            raise IsolationViolation(f"app.tenant_id is {got!r}, the innermost context is {want!r}")
        python_side = current_tenant_id(required=False)
        if python_side != (self.stack[-1][1] if self.stack else None):
            raise IsolationViolation(f"current_tenant_id() is {python_side}, expected {want!r}")

    def teardown(self) -> None:
        while self.stack:
            ctx, _ = self.stack.pop()
            ctx.__exit__(Boom, Boom("teardown"), None)
        connections["default"].close()
