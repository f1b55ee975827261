"""Django admin scoped to one tenant, which the staff user picks per session.

The admin runs as the app role like everything else: a staff user first picks a tenant
(``/admin/tenant/``, by slug), the middleware then runs every admin request inside that
tenant's context, and RLS does the rest. Without a pick, lists are empty and adding is off.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from tenancy.context import current_tenant_id
from tenancy.exceptions import TenantInactive, TenantNotFound
from tenancy.middleware import ADMIN_SESSION_KEY
from tenancy.models import Tenant
from tenancy.resolution import resolve_tenant


class TenantScopedAdmin(admin.ModelAdmin):
    """ModelAdmin that works inside the picked tenant and shows nothing without one."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if current_tenant_id(required=False) is None:
            return QuerySet(self.model).none()
        return super().get_queryset(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return current_tenant_id(required=False) is not None and super().has_add_permission(request, *args)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if current_tenant_id(required=False) is None:
            messages.warning(request, "Pick a tenant first at /admin/tenant/ — the admin shows one tenant at a time.")
        return super().changelist_view(request, extra_context)


class PickTenantForm(forms.Form):
    slug = forms.SlugField(label="Tenant slug")


@staff_member_required
def pick_tenant(request: HttpRequest) -> HttpResponse:
    form = PickTenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant_id = resolve_tenant(slug=form.cleaned_data["slug"], allow_inactive=True)
        except (TenantNotFound, TenantInactive) as exc:
            form.add_error("slug", str(exc))
        else:
            request.session[ADMIN_SESSION_KEY] = str(tenant_id)
            return HttpResponseRedirect("/admin/")
    return render(request, "tenancy/pick_tenant.html", {"form": form})


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    list_display = ("slug", "name", "domain", "is_active", "created_at")
    readonly_fields = ("id", "created_at", "updated_at")
