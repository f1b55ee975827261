"""The tenant context: which tenant the current code runs for, proven to the database.

``tenant_context(t)`` opens a transaction (a savepoint when one is already open) on a
database connection and sets ``app.tenant_id`` together with ``app.tenant_proof``, both
with ``set_config(..., true)`` (transaction-local: they end with the transaction and never
reach the next user of a pooled connection, PgBouncer transaction pooling included). The
proof is an HMAC (:mod:`rls.signing`) over the tenant, this transaction's id and this
backend's pid under a key the app role cannot read, so SQL injected into the app role
cannot enter any context itself: ``set_config('app.tenant_id', other)`` alone shows and
writes nothing, and a proof seen anywhere is worthless in another transaction. The
policies of :mod:`rls.sql` accept the tenant only through the verifier.

A top-level context first resets the session (``rls.sql.RESET_AND_NONCE_SQL``): what an
earlier user of a pooled connection left in it (held cursors, prepared statements, LISTEN,
advisory locks, session settings) is gone before the next tenant runs. The reset runs
*inside* the context's transaction rather than as ``DISCARD ALL`` (which refuses to run in
a transaction block): so it reaches the very backend that serves the context, also behind
a transaction pooler, and costs no extra round trip (the nonce query carries it).

A :class:`~contextvars.ContextVar` mirrors the stack for the ORM layer, so managers refuse
to run outside a context (threads and asyncio tasks each see their own value). Nesting
works: leaving an inner context restores the outer tenant (re-signed for the same
transaction) inside the same transaction; an exception rolls the savepoint back, which
restores it too. ``async with tenant_context(t):`` does the same from ASGI code: it runs
the block's synchronous ORM calls (``sync_to_async``) in a thread and on a connection of its
own, so concurrent tasks never share a transaction.
"""

from __future__ import annotations

import uuid
from contextlib import ContextDecorator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from rls.signing import proof
from rls.sql import (
    CLEAR_TENANT_SQL,
    ENTER_TENANT_SQL,
    NONCE_SQL,
    READ_TENANT_SQL,
    READ_VERIFIED_TENANT_SQL,
    RESET_AND_NONCE_SQL,
)
from tenancy.exceptions import TenantContextRejected, TenantContextRequired


@dataclass(frozen=True)
class ActiveTenant:
    """One entry of the context stack: the tenant, the connection, the transaction it is bound to."""

    tenant_id: uuid.UUID
    using: str
    connection_id: int
    xid: str = ""
    pid: int = 0


_stack: ContextVar[tuple[ActiveTenant, ...]] = ContextVar("lakehouse_tenant_stack", default=())
#: Open contexts per connection object, whichever stack (task) entered them. A connection
#: belongs to one thread, so this is only read and written by that thread.
_open_contexts: dict[int, int] = {}


def _coerce(tenant: Any) -> uuid.UUID:
    if isinstance(tenant, uuid.UUID):
        return tenant
    if hasattr(tenant, "pk") and isinstance(getattr(tenant, "pk", None), uuid.UUID):
        return tenant.pk
    if isinstance(tenant, str):
        try:
            return uuid.UUID(tenant)
        except ValueError as exc:
            raise ValueError(
                f"tenant_context() takes a Tenant, a UUID or a UUID string, not {tenant!r}; "
                "resolve slugs with tenancy.resolve_tenant()"
            ) from exc
    raise TypeError(f"tenant_context() takes a Tenant, a UUID or a UUID string, not {type(tenant).__name__}")


def enter_signed(cursor: Any, tenant_id: uuid.UUID | str, xid: str, pid: int) -> None:
    """Set tenant and proof on ``cursor``'s transaction; raise if the database refuses them."""
    cursor.execute(ENTER_TENANT_SQL, [str(tenant_id), proof(tenant_id, xid, pid)])
    verified = cursor.fetchone()[0]
    if verified != str(tenant_id):
        raise TenantContextRejected(
            "The database refused the tenant context: LAKEHOUSE_CONTEXT_KEY does not match a key that "
            "bootstrap_db provisioned (run bootstrap_db with this key, or set the key the database accepts)."
        )


def begin_signed(cursor: Any, tenant_id: uuid.UUID | str, *, reset: bool = True,
                 time_zone: str = "UTC") -> tuple[str, int]:
    """For raw DB-API connections (inside an open transaction): reset, bind and enter.

    Returns the transaction's (xid, pid) so callers can re-sign within the same transaction.
    """
    if reset:
        cursor.execute(RESET_AND_NONCE_SQL, [time_zone])
    else:
        cursor.execute(NONCE_SQL)
    xid, pid = cursor.fetchone()
    enter_signed(cursor, tenant_id, xid, pid)
    return xid, pid


class tenant_context(ContextDecorator):  # noqa: N801 - reads like contextlib's helpers
    """Run code as one tenant: ``with tenant_context(tenant): ...``, ``@tenant_context(tenant)``
    or, in ASGI code, ``async with tenant_context(tenant): ...``."""

    def __init__(self, tenant: Any, *, using: str = DEFAULT_DB_ALIAS) -> None:
        self.tenant_id = _coerce(tenant)
        self.using = using
        self._atomic: Any = None
        self._previous: tuple[ActiveTenant, ...] = ()
        self._outermost = False
        self._threads: Any = None

    def _recreate_cm(self) -> tenant_context:
        # A decorated function may recurse or run in several threads: fresh state per call.
        return tenant_context(self.tenant_id, using=self.using)

    def __enter__(self) -> uuid.UUID:
        connection = connections[self.using]
        outer = _innermost_on(connection, self.using)
        if outer is None and _open_contexts.get(id(connection), 0):
            # Another stack (an asyncio task sharing this thread) has a context open on this
            # connection: entering here would switch *its* transaction to our tenant.
            raise TenantContextRequired(
                "Another task's tenant context is open on this database connection; enter each "
                "task's context with `async with tenant_context(...)` outside a shared thread context."
            )
        self._outermost = not connection.in_atomic_block
        self._atomic = transaction.atomic(using=self.using)
        self._atomic.__enter__()
        try:
            with connection.cursor() as cursor:
                if outer is not None:  # same transaction, same backend: the binding is known
                    xid, pid = outer.xid, outer.pid
                    enter_signed(cursor, self.tenant_id, xid, pid)
                else:
                    xid, pid = begin_signed(cursor, self.tenant_id, reset=self._outermost,
                                            time_zone=connection.timezone_name)
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._previous = _stack.get()
        _stack.set((*self._previous, ActiveTenant(self.tenant_id, self.using, id(connection), xid, pid)))
        _open_contexts[id(connection)] = _open_contexts.get(id(connection), 0) + 1
        return self.tenant_id

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        # set(), not reset(token): ``async with`` enters and leaves in different Context copies.
        _stack.set(self._previous)
        connection = connections[self.using]
        _open_contexts[id(connection)] -= 1
        if not _open_contexts[id(connection)]:
            del _open_contexts[id(connection)]
        try:
            if exc_type is None and not connection.needs_rollback and not self._outermost:
                outer = _innermost_on(connection, self.using)
                with connection.cursor() as cursor:
                    if outer is not None:
                        enter_signed(cursor, outer.tenant_id, outer.xid, outer.pid)
                    else:
                        cursor.execute(CLEAR_TENANT_SQL)
            # Otherwise the transaction ends here (COMMIT, or the rollback of the savepoint or
            # transaction), which ends or restores the settings by itself.
        finally:
            result = self._atomic.__exit__(exc_type, exc, tb)
        return result

    async def __aenter__(self) -> uuid.UUID:
        # Sync ORM calls of async code run in one thread per ThreadSensitiveContext
        # (thread_sensitive=True). Asyncio tasks of one thread context would share its
        # connection, so two tasks' contexts would interleave on one transaction: each
        # ``async with`` gets a thread, hence a connection, of its own (as Django gives each
        # ASGI request), enters there, and closes that connection when it leaves.
        # A context nested in this task's own context stays in its thread (same transaction).
        # Inside an enclosing ThreadSensitiveContext (an ASGI request) asgiref reuses that
        # thread; two tasks entering contexts there are refused by __enter__ (fail closed).
        self._threads = ThreadSensitiveContext() if not _stack.get() else None
        if self._threads is not None:
            await self._threads.__aenter__()
        try:
            return await sync_to_async(self.__enter__, thread_sensitive=True)()
        except BaseException as exc:
            if self._threads is not None:
                await self._threads.__aexit__(type(exc), exc, exc.__traceback__)
            raise

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        owns_thread = self._threads is not None and getattr(self._threads, "token", None) is not None

        def leave() -> bool | None:
            try:
                return self.__exit__(exc_type, exc, tb)
            finally:
                if owns_thread:  # the thread ends with its context: so does its connection
                    connections[self.using].close()

        try:
            return await sync_to_async(leave, thread_sensitive=True)()
        finally:
            if self._threads is not None:
                await self._threads.__aexit__(exc_type, exc, tb)


def _innermost_on(connection: Any, using: str) -> ActiveTenant | None:
    """The innermost active context on this very connection object (same transaction)."""
    entries = [e for e in _stack.get() if e.using == using and e.connection_id == id(connection)]
    return entries[-1] if entries and connection.in_atomic_block else None


def current_tenant_id(using: str = DEFAULT_DB_ALIAS, *, required: bool = True) -> uuid.UUID | None:
    """The innermost tenant for connection ``using``.

    Raises :class:`TenantContextRequired` outside a context, or when the context was
    entered on another thread's connection (the session variable is not set on this one).
    """
    entries = [e for e in _stack.get() if e.using == using]
    if not entries:
        if required:
            raise TenantContextRequired(
                "This query needs a tenant: wrap it in `with tenant_context(tenant):` "
                "(requests get one from TenantMiddleware)."
            )
        return None
    entry = entries[-1]
    if entry.connection_id != id(connections[using]):
        if required:
            raise TenantContextRequired(
                "The tenant context was entered on another thread's database connection; "
                "enter tenant_context() inside the thread or task that runs the query."
            )
        return None
    return entry.tenant_id


def database_tenant_id(using: str = DEFAULT_DB_ALIAS) -> str:
    """What the connection itself says: ``current_setting('app.tenant_id', true)`` ('' if unset)."""
    with connections[using].cursor() as cursor:
        cursor.execute(READ_TENANT_SQL)
        value = cursor.fetchone()[0]
    return value or ""


def verified_tenant_id(using: str = DEFAULT_DB_ALIAS) -> str:
    """What the database accepts as the current tenant (the verifier's answer; '' if none)."""
    with connections[using].cursor() as cursor:
        cursor.execute(READ_VERIFIED_TENANT_SQL)
        value = cursor.fetchone()[0]
    return value or ""


def active_tenants() -> tuple[ActiveTenant, ...]:
    """The whole stack of active contexts (innermost last), for diagnostics and tests."""
    return _stack.get()
