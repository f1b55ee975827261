"""``{% tenant_admin_log 10 as admin_log %}``: the user's recent admin actions in the active tenant.

Django's ``get_admin_log`` lists a user's actions across every tenant, and an entry's
``object_repr`` names the object; this one keeps to the tenant the admin shows (or, with
no tenant picked, to actions about no tenant, such as user accounts).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.admin.models import LogEntry

register = template.Library()


@register.simple_tag(takes_context=True)
def tenant_admin_log(context: dict[str, Any], limit: int = 10) -> list[LogEntry]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    entries = LogEntry.objects.filter(user=user).select_related("content_type")
    tenant_id = getattr(request, "tenant_id", None)
    if tenant_id is None:
        entries = entries.filter(tenant_link__isnull=True)
    else:
        entries = entries.filter(tenant_link__tenant=tenant_id)
    return list(entries[:limit])
