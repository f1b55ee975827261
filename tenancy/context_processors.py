"""Template context for the admin: which tenant is active (set by the middleware)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def admin_tenant(request: HttpRequest) -> dict[str, Any]:
    """``admin_tenant``: the picked tenant's directory entry (name, slug, is_active, access) or None."""
    return {"admin_tenant": getattr(request, "admin_tenant", None)}
