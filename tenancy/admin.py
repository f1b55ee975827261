"""Django admin scoped to one tenant, which the staff user picks per session.

Tenant data in the admin runs as the app role like everything else: a staff user picks a
tenant at ``/admin/tenant/`` (a list of the tenants that user may administer, from
``tenancy.staff``), the middleware runs every admin request inside that tenant's context
(re-checking the right on each request) and RLS does the rest. Without a pick, lists are
empty, adding is off and an admin message links to the picker. Django's own tables (users,
sessions, the admin log) are reached as the staff role (``project.routers``); every log entry
an admin writes about tenant data is tagged with its tenant, so the index's "Recent actions"
shows the active tenant's entries only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from tenancy.context import current_tenant_id, tenant_context
from tenancy.middleware import ADMIN_SESSION_KEY
from tenancy.models import AdminLogTenant, StaffTenantAccess, Tenant
from tenancy.staff import administrable_tenants, grant_tenant, tenant_directory


def pick_first_message(request: HttpRequest) -> None:
    messages.warning(request, format_html(
        'No tenant picked: <a href="{}">pick the tenant to administer</a>. The admin shows one tenant at a time.',
        reverse("pick-tenant")))


def _entries(logged: Any) -> list[LogEntry]:
    if logged is None:
        return []
    return [logged] if isinstance(logged, LogEntry) else list(logged)


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
            pick_first_message(request)
        return super().changelist_view(request, extra_context)

    # Every log entry about tenant data carries its tenant (tenancy.models.AdminLogTenant).
    def log_tenant(self, obj: Any) -> Any:
        return current_tenant_id(required=False)

    def _tag(self, logged: Any, obj: Any) -> Any:
        tenant_id = self.log_tenant(obj)
        if tenant_id is not None:
            AdminLogTenant.objects.bulk_create(
                [AdminLogTenant(entry=entry, tenant=tenant_id) for entry in _entries(logged)])
        return logged

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return self._tag(super().log_addition(request, obj, message), obj)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return self._tag(super().log_change(request, obj, message), obj)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        objects = list(queryset)
        return self._tag(super().log_deletions(request, objects), objects[0] if objects else None)


def pick_tenant(request: HttpRequest) -> HttpResponse:
    """The tenant picker: the tenants this user may administer; POST ``tenant=<id>`` (or ``slug``) picks one.

    Inactive tenants are listed as such and picked only with ``confirm_inactive=1``; a tenant
    the user may not administer (or no such tenant) is a 403 and changes nothing.
    """
    tenants = administrable_tenants(request.user)
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            request.session.pop(ADMIN_SESSION_KEY, None)
            messages.info(request, "No tenant picked any more.")
            return HttpResponseRedirect(reverse("pick-tenant"))
        wanted, slug = request.POST.get("tenant", ""), request.POST.get("slug", "")
        entry = next((t for t in tenants if (wanted and str(t.id) == wanted) or (slug and t.slug == slug)), None)
        if entry is None:
            messages.error(request, "You may not administer that tenant (or there is no such tenant).")
            return _picker(request, tenants, status=403)
        if not entry.is_active and request.POST.get("confirm_inactive") != "1":
            messages.warning(request, f"{entry.name} is inactive: confirm that you want to administer it anyway.")
            return _picker(request, tenants, status=409)
        request.session[ADMIN_SESSION_KEY] = str(entry.id)
        messages.success(request, f"Now administering {entry.name} ({entry.slug})"
                                  + (", an inactive tenant." if not entry.is_active else "."))
        return HttpResponseRedirect(reverse("admin:index"))
    return _picker(request, tenants)


def _picker(request: HttpRequest, tenants: list[Any], status: int = 200) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Pick the tenant to administer",
        "tenants": tenants,
        "picked": getattr(request, "admin_tenant", None),
    }
    return TemplateResponse(request, "tenancy/pick_tenant.html", context, status=status)


class TenantAdminForm(forms.ModelForm):
    """Tenant uniqueness is checked against every tenant (the directory), not the one RLS shows."""

    class Meta:
        model = Tenant
        fields = ["name", "slug", "domain", "is_active", "settings"]

    def clean_domain(self) -> str | None:
        domain = (self.cleaned_data.get("domain") or "").strip().lower()
        return domain or None

    def validate_unique(self) -> None:
        # The model's own check would query as the app role, which sees only the picked
        # tenant (or raises outside a context): use the staff directory instead.
        others = [entry for entry in tenant_directory() if entry.id != self.instance.pk]
        for field in ("name", "slug", "domain"):
            value = self.cleaned_data.get(field)
            if value and any(getattr(entry, field) == value for entry in others):
                self.add_error(field, f"Another tenant already has this {field}.")


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """The picked tenant's row; adding a tenant works from anywhere (in the new tenant's context)."""

    form = TenantAdminForm
    list_display = ("slug", "name", "domain", "is_active", "created_at")
    readonly_fields = ("id", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A tenant goes with all its rows, children first: that is cleanup_data's job, not a
        # single DELETE the tenant's own rows would refuse (composite foreign keys).
        return False

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # The tenant table's policy admits a new row only in that row's own context.
        with tenant_context(obj.pk):
            obj.save()
        if not request.user.is_superuser:  # type: ignore[attr-defined]
            grant_tenant(request.user, obj.pk)

    def log_tenant(self, obj: Any) -> Any:
        return obj.pk if obj is not None else None

    def response_add(self, request: HttpRequest, obj: Tenant, post_url_continue: str | None = None) -> HttpResponse:
        request.session[ADMIN_SESSION_KEY] = str(obj.pk)  # its pages need its context
        messages.info(request, f"{obj.name} is now the tenant you administer.")
        return super().response_add(request, obj, post_url_continue)


class StaffTenantAccessForm(forms.ModelForm):
    tenant = forms.TypedChoiceField(label="Tenant", coerce=str, choices=())

    class Meta:
        model = StaffTenantAccess
        fields = ["user", "tenant"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tenant"].choices = [
            (str(entry.id), f"{entry.name} ({entry.slug})" + ("" if entry.is_active else " — inactive"))
            for entry in tenant_directory()
        ]


@admin.register(StaffTenantAccess)
class StaffTenantAccessAdmin(admin.ModelAdmin):
    """Who may administer which tenant: superusers only (a binding is a right to a tenant's data)."""

    form = StaffTenantAccessForm
    list_display = ("user", "tenant_name", "granted_at")
    list_select_related = ("user",)

    @admin.display(description="tenant")
    def tenant_name(self, obj: StaffTenantAccess) -> str:
        names = {entry.id: f"{entry.name} ({entry.slug})" for entry in tenant_directory()}
        return names.get(obj.tenant, f"{obj.tenant} (no such tenant)")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)  # type: ignore[attr-defined]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

