"""The domain models (customers, products, orders, items, events, subscriptions, invoices).

Public API: the seven models, ``from models_app import Customer`` (or ``models_app.models``).
They are resolved on first use: this package is imported while Django loads its apps, before
model classes may be defined.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Customer", "Event", "Invoice", "Order", "OrderItem", "Product", "Subscription"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("models_app.models"), name)
    raise AttributeError(f"module 'models_app' has no attribute {name!r}")
