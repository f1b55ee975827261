"""What a workload run acts on: which operation categories and which tenants.

Shared by ``simulate_activity`` and ``cdc_check`` (both drive the simulator), so the
choice of tenants and the reading of ``--operations`` are the same in both.
"""

from __future__ import annotations

import uuid

from cdc.workload.simulator import CATEGORIES
from project.database import connect
from tenancy import TenantInactive, TenantNotFound, resolve_tenant
from tenancy.models import Tenant
from tenancy.services import create_tenant


class SelectionError(ValueError):
    """A user's choice of operations or tenants that cannot be run (one sentence)."""


def parse_operations(text: str) -> tuple[str, ...]:
    """``"orders,events"`` → those categories; ``"all"`` or nothing → every category."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or names == ["all"]:
        return CATEGORIES
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown:
        raise SelectionError(
            f"Unknown operation type(s) {', '.join(unknown)}; choose from {', '.join(CATEGORIES)} or 'all'.")
    return tuple(dict.fromkeys(names))


def resolve_tenants(text: str | None) -> list[uuid.UUID]:
    """Slugs given → their ids (via the resolver function); none given → every active tenant.

    The app role cannot list tenants (RLS), so the listing reads through the replication
    role, the one read-only cross-tenant reader; writes still happen as the app role.
    """
    if text:
        ids = []
        for slug in [s.strip() for s in text.split(",") if s.strip()]:
            try:
                ids.append(resolve_tenant(slug=slug))
            except (TenantNotFound, TenantInactive) as exc:
                raise SelectionError(f"Tenant {slug!r} cannot be simulated: {exc}.") from exc
        return ids
    table = Tenant._meta.db_table
    conn = connect("replication")
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE is_active ORDER BY created_at, id")  # noqa: S608
            return [row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])) for row in cursor.fetchall()]
    finally:
        conn.close()


def create_simulation_tenant() -> uuid.UUID:
    """A fresh tenant to simulate on when the database has none."""
    slug = f"sim-{uuid.uuid4().hex[:8]}"
    return create_tenant(name=f"Simulated {slug}", slug=slug).id
