"""The seven tenant-scoped domain models listed in docs/REQUIREMENTS.md ("Tables").

Every model subclasses :class:`~tenancy.models.TenantScopedModel` (UUIDv7 ``id``,
``tenant``, RLS policy, ``UNIQUE (tenant_id, id)``, ``updated_at`` and immutable-tenant
triggers) and points at its parents with :class:`~tenancy.models.TenantForeignKey`, which
the database enforces as ``(tenant_id, parent_id) REFERENCES parent (tenant_id, id)``.

Business keys (``order_number``, ``invoice_number``, ``sku``, customer ``email``) are unique
*per tenant*: a global unique constraint would tell tenant A, through a unique violation,
that tenant B already uses a number (a side channel), and tenants number independently.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pgtrigger
from django.db import models
from django.utils import timezone

from tenancy.models import TenantForeignKey, TenantScopedModel, tenant_triggers

MONEY = {"max_digits": 12, "decimal_places": 2}


class Customer(TenantScopedModel):
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=40, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_customer"
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="customer_tenant_email_uniq")]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="cust_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="cust_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.email


class Product(TenantScopedModel):
    class Category(models.TextChoices):
        ELECTRONICS = "Electronics"
        CLOTHING = "Clothing"
        HOME = "Home"
        BOOKS = "Books"
        SPORTS = "Sports"

    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    category = models.CharField(max_length=20, choices=Category.choices)
    price = models.DecimalField(**MONEY)
    cost = models.DecimalField(**MONEY)
    stock_quantity = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_product"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku"], name="product_tenant_sku_uniq"),
            models.CheckConstraint(condition=models.Q(cost__lt=models.F("price")), name="product_cost_below_price"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "category"], name="prod_category_idx"),
            models.Index(fields=["tenant", "created_at"], name="prod_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="prod_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Order(TenantScopedModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    order_number = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    subtotal = models.DecimalField(**MONEY, default=Decimal("0"))
    tax = models.DecimalField(**MONEY, default=Decimal("0"))
    shipping = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    order_date = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_order"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order_number"], name="order_tenant_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True) | models.Q(status="completed"),
                name="order_completed_at_only_when_completed",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "order_date"], name="ord_date_idx"),
            models.Index(fields=["tenant", "status"], name="ord_status_idx"),
            models.Index(fields=["tenant", "created_at"], name="ord_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="ord_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.order_number


class OrderItem(TenantScopedModel):
    order = TenantForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = TenantForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_orderitem"
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderitem_quantity_positive")]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="item_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="item_updated_idx"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The tenant comes from the order (nobody passes it); the composite foreign key
        # (tenant_id, order_id) guarantees the two agree.
        if self.tenant_id is None and self.order_id is not None and "order" in self._state.fields_cache:
            self.tenant_id = self.order.tenant_id
        super().save(*args, **kwargs)


class Event(TenantScopedModel):
    """User activity. Append-only: UPDATE and DELETE are refused by a trigger."""

    class Type(models.TextChoices):
        PAGE_VIEW = "page_view"
        PRODUCT_VIEW = "product_view"
        SEARCH = "search"
        CLICK = "click"
        ADD_TO_CART = "add_to_cart"
        REMOVE_FROM_CART = "remove_from_cart"
        CHECKOUT = "checkout"
        PURCHASE = "purchase"

    customer = TenantForeignKey(Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    event_type = models.CharField(max_length=32, choices=Type.choices)
    event_data = models.JSONField(default=dict, blank=True)
    session_id = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True, default="")

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_event"
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="evt_created_idx"),
            models.Index(fields=["tenant", "event_type"], name="evt_type_idx"),
            models.Index(fields=["tenant", "session_id"], name="evt_session_idx"),
        ]
        triggers = [
            *tenant_triggers(),
            # Cleanup of generated data deletes events under pgtrigger.ignore (documented).
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]


class Subscription(TenantScopedModel):
    class Status(models.TextChoices):
        ACTIVE = "active"
        CANCELLED = "cancelled"
        EXPIRED = "expired"
        TRIAL = "trial"

    class BillingCycle(models.TextChoices):
        MONTHLY = "monthly"
        YEARLY = "yearly"

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    plan_name = models.CharField(max_length=50)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    monthly_amount = models.DecimalField(**MONEY)
    billing_cycle = models.CharField(max_length=16, choices=BillingCycle.choices, default=BillingCycle.MONTHLY)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_subscription"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="subscription_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="sub_status_idx"),
            models.Index(fields=["tenant", "start_date"], name="sub_start_idx"),
            models.Index(fields=["tenant", "end_date"], name="sub_end_idx"),
            models.Index(fields=["tenant", "created_at"], name="sub_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="sub_updated_idx"),
        ]


class Invoice(TenantScopedModel):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SENT = "sent"
        PAID = "paid"
        OVERDUE = "overdue"
        CANCELLED = "cancelled"

    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="invoices")
    subscription = TenantForeignKey(
        Subscription, on_delete=models.CASCADE, null=True, blank=True, related_name="invoices",
    )
    invoice_number = models.CharField(max_length=32)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    issue_date = models.DateField()
    due_date = models.DateField()
    paid_date = models.DateField(null=True, blank=True)

    class Meta(TenantScopedModel.Meta):
        db_table = "models_app_invoice"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invoice_number"], name="invoice_tenant_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(paid_date__isnull=True) | models.Q(paid_date__gte=models.F("issue_date")),
                name="invoice_paid_after_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="inv_status_idx"),
            models.Index(fields=["tenant", "issue_date"], name="inv_issue_idx"),
            models.Index(fields=["tenant", "due_date"], name="inv_due_idx"),
            models.Index(fields=["tenant", "created_at"], name="inv_created_idx"),
            models.Index(fields=["tenant", "updated_at"], name="inv_updated_idx"),
        ]


#: The domain models in the seed plan's load order (parents before children).
DOMAIN_MODELS: tuple[type[TenantScopedModel], ...] = (
    Customer, Product, Subscription, Order, OrderItem, Event, Invoice,
)
