"""factory-boy factories: valid rows inside the *current* tenant, for tests and examples.

Use them inside ``tenant_context``; ``tenant_id`` is filled by the model from the context,
and related rows are created in the same tenant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Faker("phone_number")
    metadata = factory.LazyFunction(lambda: {"segment": "consumer"})


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = factory.Faker("catch_phrase")
    category = Product.Category.BOOKS
    price = Decimal("25.00")
    cost = Decimal("10.00")
    stock_quantity = 100


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    order_number = factory.Sequence(lambda n: f"ORD-{n:08d}")
    status = Order.Status.PENDING
    subtotal = Decimal("50.00")
    tax = Decimal("4.00")
    shipping = Decimal("5.00")
    total = Decimal("59.00")


class OrderItemFactory(DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 2
    unit_price = Decimal("25.00")
    discount = Decimal("0.00")
    total = Decimal("50.00")


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    customer = factory.SubFactory(CustomerFactory)
    event_type = Event.Type.PAGE_VIEW
    event_data = factory.LazyFunction(lambda: {"url": "/"})
    session_id = factory.Sequence(lambda n: f"sess-{n:08d}")
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0 (factory)"


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    plan_name = "Pro"
    status = Subscription.Status.ACTIVE
    start_date = factory.LazyFunction(lambda: timezone.now().date() - dt.timedelta(days=30))
    monthly_amount = Decimal("29.00")
    billing_cycle = Subscription.BillingCycle.MONTHLY


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice

    customer = factory.SubFactory(CustomerFactory)
    subscription = None
    invoice_number = factory.Sequence(lambda n: f"INV-{n:08d}")
    amount = Decimal("29.00")
    status = Invoice.Status.SENT
    issue_date = factory.LazyFunction(lambda: timezone.now().date())
    due_date = factory.LazyFunction(lambda: timezone.now().date() + dt.timedelta(days=14))
