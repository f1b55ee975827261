"""A small, varied, committed world built with ``tests.factories`` for the metric tests.

Independent of the seeding engine on purpose: the equality and command tests need rows in
every table (so that no metric's comparison is vacuous) and two tenants whose numbers
differ, nothing more. The values are random but seeded.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.utils import timezone

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from tenancy import tenant_context
from tests.factories import (
    CustomerFactory,
    EventFactory,
    InvoiceFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    SubscriptionFactory,
)

CENT = Decimal("0.01")
FUNNEL = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def build_world(tenant_id: uuid.UUID, *, seed: int, days: int = 200, customers: int = 30,
                products: int = 15, orders: int = 160, sessions: int = 90, subscriptions: int = 24) -> None:
    """Insert a few hundred rows of every kind for ``tenant_id`` (committed)."""
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=days)

    def moment() -> dt.datetime:
        return start + dt.timedelta(seconds=rng.randrange(days * 86400))

    with tenant_context(tenant_id):
        custs = [
            CustomerFactory.build(created_at=moment(), is_active=rng.random() > 0.1) for _ in range(customers)
        ]
        Customer.objects.bulk_create(custs)

        prods = []
        for _ in range(products):
            price = rng.uniform(5, 300)
            prods.append(ProductFactory.build(
                category=rng.choice(list(Product.Category.values)), price=_money(price),
                cost=_money(price * rng.uniform(0.3, 0.8)), stock_quantity=rng.choice([0, 4, 40, 250]),
            ))
        Product.objects.bulk_create(prods)

        order_rows, item_rows = [], []
        for _ in range(orders):
            # A few customers place most orders (the repeat-customer skew of the plan).
            customer = custs[min(int(rng.paretovariate(1.2)) - 1, customers - 1)]
            when = moment()
            status = rng.choices(list(Order.Status.values), weights=[5, 10, 80, 5])[0]
            lines = []
            for product in rng.sample(prods, rng.randint(1, 3)):
                quantity = rng.randint(1, 4)
                discount = _money(float(product.price) * quantity * rng.choice([0, 0, 0.1]))
                lines.append((product, quantity, discount, product.price * quantity - discount))
            subtotal = sum((line[3] for line in lines), Decimal("0"))
            tax, shipping = (subtotal * Decimal("0.08")).quantize(CENT), Decimal("5.00")
            order = OrderFactory.build(
                customer=customer, status=status, order_date=when, created_at=when,
                completed_at=when + dt.timedelta(days=1) if status == "completed" else None,
                subtotal=subtotal, tax=tax, shipping=shipping, total=subtotal + tax + shipping,
            )
            order_rows.append(order)
            item_rows += [
                OrderItemFactory.build(order=order, product=p, quantity=q, unit_price=p.price, discount=d, total=t)
                for p, q, d, t in lines
            ]
        Order.objects.bulk_create(order_rows)
        OrderItem.objects.bulk_create(item_rows)

        events = []
        for n in range(sessions):
            session = f"s-{seed}-{n}"
            customer = rng.choice(custs) if rng.random() < 0.7 else None
            at = moment()
            depth = rng.choices(range(1, 6), weights=[40, 25, 15, 8, 12])[0]
            for step in FUNNEL[:depth]:
                for _ in range(rng.randint(1, 2) if step == "page_view" else 1):
                    events.append(EventFactory.build(customer=customer, session_id=session, event_type=step,
                                                     created_at=at, event_data={"step": step}))
                    at += dt.timedelta(seconds=rng.randint(5, 300))
            if rng.random() < 0.3:
                events.append(EventFactory.build(customer=customer, session_id=session, event_type="search",
                                                 created_at=at, event_data={"q": "socks"}))
        Event.objects.bulk_create(events)

        subs, invoices = [], []
        for _ in range(subscriptions):
            begin = (now - dt.timedelta(days=rng.randrange(days))).date()
            status = rng.choices(list(Subscription.Status.values), weights=[60, 20, 10, 10])[0]
            end = None
            if status in ("cancelled", "expired"):
                end = min(begin + dt.timedelta(days=rng.randint(20, 150)), now.date())
            sub = SubscriptionFactory.build(
                customer=rng.choice(custs), status=status, start_date=begin, end_date=end,
                plan_name=rng.choice(["Basic", "Pro", "Enterprise"]),
                billing_cycle=rng.choice(["monthly", "monthly", "yearly"]), monthly_amount=_money(rng.uniform(9, 99)),
            )
            subs.append(sub)
            for k in range(rng.randint(1, 3)):
                issued = begin + dt.timedelta(days=30 * k)
                inv_status = rng.choices(list(Invoice.Status.values), weights=[5, 15, 65, 10, 5])[0]
                paid = issued + dt.timedelta(days=rng.randint(0, 25)) if inv_status == "paid" else None
                invoices.append(InvoiceFactory.build(
                    customer=sub.customer, subscription=sub, amount=sub.monthly_amount, status=inv_status,
                    issue_date=issued, due_date=issued + dt.timedelta(days=14), paid_date=paid,
                ))
        Subscription.objects.bulk_create(subs)
        Invoice.objects.bulk_create(invoices)
