"""The tenant context: which tenant the current code runs for.

``tenant_context(t)`` opens a transaction (a savepoint when one is already open) on a
database connection and sets ``app.tenant_id`` with ``set_config(..., true)``: the value is
transaction-local, so it ends with the transaction and can never leak into the next user
of a pooled connection (PgBouncer transaction pooling included). The policies in
:mod:`rls.sql` read it. A :class:`~contextvars.ContextVar` mirrors it for the ORM layer,
so managers can refuse to run outside a context (threads and asyncio tasks each see their
own value).

Nesting works: leaving an inner context restores the outer tenant inside the same
transaction; an exception rolls the savepoint back, which restores it too.
"""

from __future__ import annotations

import uuid
from contextlib import ContextDecorator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from rls.sql import READ_TENANT_SQL, SET_TENANT_SQL
from tenancy.exceptions import TenantContextRequired


@dataclass(frozen=True)
class ActiveTenant:
    """One entry of the context stack: the tenant and the connection it was set on."""

    tenant_id: uuid.UUID
    using: str
    connection_id: int


_stack: ContextVar[tuple[ActiveTenant, ...]] = ContextVar("lakehouse_tenant_stack", default=())


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


class tenant_context(ContextDecorator):  # noqa: N801 - reads like contextlib's helpers
    """Run code as one tenant: ``with tenant_context(tenant): ...`` or ``@tenant_context(tenant)``."""

    def __init__(self, tenant: Any, *, using: str = DEFAULT_DB_ALIAS) -> None:
        self.tenant_id = _coerce(tenant)
        self.using = using
        self._atomic: Any = None
        self._token: Any = None

    def _recreate_cm(self) -> tenant_context:
        # A decorated function may recurse or run in several threads: fresh state per call.
        return tenant_context(self.tenant_id, using=self.using)

    def __enter__(self) -> uuid.UUID:
        connection = connections[self.using]
        self._atomic = transaction.atomic(using=self.using)
        self._atomic.__enter__()
        try:
            with connection.cursor() as cursor:
                cursor.execute(SET_TENANT_SQL, [str(self.tenant_id)])
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        entry = ActiveTenant(self.tenant_id, self.using, id(connection))
        self._token = _stack.set((*_stack.get(), entry))
        return self.tenant_id

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        _stack.reset(self._token)
        connection = connections[self.using]
        try:
            if exc_type is None and not connection.needs_rollback:
                outer = [e for e in _stack.get() if e.using == self.using]
                with connection.cursor() as cursor:
                    cursor.execute(SET_TENANT_SQL, [str(outer[-1].tenant_id) if outer else ""])
            # Otherwise the savepoint/transaction is rolled back, which restores the value.
        finally:
            result = self._atomic.__exit__(exc_type, exc, tb)
        return result


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


def active_tenants() -> tuple[ActiveTenant, ...]:
    """The whole stack of active contexts (innermost last), for diagnostics and tests."""
    return _stack.get()
