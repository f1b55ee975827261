"""URLs: the admin (tenant picked per session), a health check and a tiny tenant API."""

from django.contrib import admin
from django.urls import path

from project import views
from tenancy.admin import pick_tenant

urlpatterns = [
    path("admin/tenant/", pick_tenant, name="pick-tenant"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("api/summary", views.summary, name="summary"),
    path("api/async-summary", views.async_summary, name="async-summary"),
]
