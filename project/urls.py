"""URLs: the admin (tenant picked per session), a health check and a tiny tenant API."""

from django.contrib import admin
from django.urls import path

from project import views
from tenancy.admin import pick_tenant

urlpatterns = [
    # An admin page: admin_view() requires an active staff login and adds CSRF and no-cache.
    path("admin/tenant/", admin.site.admin_view(pick_tenant), name="pick-tenant"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("api/summary", views.summary, name="summary"),
    path("api/async-summary", views.async_summary, name="async-summary"),
]
