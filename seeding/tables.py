"""The tables seeding writes, named by the models (so a renamed table cannot go stale here).

Import only once the app registry is ready (any management command, the test suite).
"""

from __future__ import annotations

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription
from tenancy.models import Tenant

__all__ = ["CUSTOMER", "EVENT", "EVENT_GUARD", "INVOICE", "ORDER", "ORDER_ITEM", "PRODUCT", "SUBSCRIPTION",
           "TENANT", "TENANT_UPDATED_AT", "UNIT_TABLES", "short"]

TENANT = Tenant._meta.db_table
CUSTOMER = Customer._meta.db_table
PRODUCT = Product._meta.db_table
SUBSCRIPTION = Subscription._meta.db_table
ORDER = Order._meta.db_table
ORDER_ITEM = OrderItem._meta.db_table
EVENT = Event._meta.db_table
INVOICE = Invoice._meta.db_table

#: Seeding units in dependency order (docs/REQUIREMENTS.md), and the tables each one writes.
UNIT_TABLES: dict[str, tuple[str, ...]] = {
    "customers": (CUSTOMER,), "products": (PRODUCT,), "subscriptions": (SUBSCRIPTION,),
    "orders": (ORDER, ORDER_ITEM), "events": (EVENT,), "invoices": (INVOICE,),
}

#: pgtrigger URIs of the triggers seeding and cleanup step around.
EVENT_GUARD = f"{Event._meta.label}:append_only"
TENANT_UPDATED_AT = f"{Tenant._meta.label}:set_updated_at"

_SHORT = {Model._meta.db_table: Model._meta.model_name
          for Model in (Tenant, Customer, Product, Subscription, Order, OrderItem, Event, Invoice)}


def short(table: str) -> str:
    """``models_app_orderitem`` -> ``orderitem``: the model's name, for progress lines."""
    return _SHORT.get(table, table)
