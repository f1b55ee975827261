"""Exceptions of the tenancy layer."""

from __future__ import annotations


class TenantContextRequired(RuntimeError):
    """A tenant-scoped model was used outside ``tenant_context`` (or on another connection).

    Raised by the ORM layer before any SQL is sent; PostgreSQL would return no rows and
    refuse writes anyway, but silence is a worse failure than an exception.
    """


class TenantNotFound(LookupError):
    """No tenant matches the slug, host or id given."""


class TenantInactive(LookupError):
    """The tenant exists but ``is_active`` is false."""


class TenantContextRejected(PermissionError):
    """The database refused the proof of a tenant context (wrong or retired signing key).

    Without an accepted proof the policies show no rows and refuse every write; raising at
    entry makes the misconfiguration visible instead of silently empty.
    """
