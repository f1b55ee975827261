"""The domain models (customers, products, orders, items, events, subscriptions, invoices)."""
