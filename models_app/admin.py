"""Admin for the domain models, scoped to the tenant picked at /admin/tenant/."""

from __future__ import annotations

from django.contrib import admin

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from tenancy.admin import TenantScopedAdmin


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = ("email", "first_name", "last_name", "is_active", "created_at")
    search_fields = ("email", "last_name")


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ("sku", "name", "category", "price", "stock_quantity", "is_active")
    list_filter = ("category", "is_active")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(TenantScopedAdmin):
    list_display = ("order_number", "customer", "status", "total", "order_date")
    list_filter = ("status",)
    raw_id_fields = ("customer",)
    inlines = [OrderItemInline]


@admin.register(OrderItem)
class OrderItemAdmin(TenantScopedAdmin):
    list_display = ("order", "product", "quantity", "unit_price", "total")
    raw_id_fields = ("order", "product")


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    list_display = ("event_type", "session_id", "customer", "created_at")
    list_filter = ("event_type",)
    raw_id_fields = ("customer",)


@admin.register(Subscription)
class SubscriptionAdmin(TenantScopedAdmin):
    list_display = ("customer", "plan_name", "status", "monthly_amount", "billing_cycle", "start_date")
    list_filter = ("status", "plan_name")
    raw_id_fields = ("customer",)


@admin.register(Invoice)
class InvoiceAdmin(TenantScopedAdmin):
    list_display = ("invoice_number", "customer", "amount", "status", "issue_date", "due_date")
    list_filter = ("status",)
    raw_id_fields = ("customer", "subscription")
