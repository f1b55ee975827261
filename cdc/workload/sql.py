"""Every statement the workload runs, generated once from the models' table and column names.

The simulator writes with hand-written SQL rather than the ORM because the CDC benchmark
asks for hundreds of transactions per second from one Python process. The text is still
derived from ``Model._meta.db_table`` and each field's ``column`` (a renamed column or table
changes the workload with it), built on first use and then constant for the process.
Templates name a table as ``{Order}`` and a column as ``{Order.status}``; multi-row writes
pass arrays and ``unnest`` them (one round trip per batch).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from models_app.models import Customer, Event, Invoice, Order, OrderItem, Product, Subscription

MODELS = {m.__name__: m for m in (Customer, Product, Order, OrderItem, Event, Subscription, Invoice)}


class _Names:
    """Formats as its model's table; its attributes are the columns of the model's fields."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __format__(self, spec: str) -> str:
        return self.model._meta.db_table

    def __getattr__(self, name: str) -> str:
        return self.model._meta.get_field(name).column


class _Formatter(string.Formatter):
    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return _Names(MODELS[key])


def render(template: str) -> str:
    """``{Order}`` → the order table, ``{Order.status}`` → its status column."""
    return _Formatter().format(template)


def table(model: Any) -> str:
    return model._meta.db_table


# -- templates ---------------------------------------------------------------------------
_NO_DEPENDANTS = (
    "NOT EXISTS (SELECT 1 FROM {Order} o WHERE o.{Order.tenant} = c.{Customer.tenant} "
    "AND o.{Order.customer} = c.{Customer.id}) "
    "AND NOT EXISTS (SELECT 1 FROM {Event} e WHERE e.{Event.tenant} = c.{Customer.tenant} "
    "AND e.{Event.customer} = c.{Customer.id}) "
    "AND NOT EXISTS (SELECT 1 FROM {Subscription} x WHERE x.{Subscription.tenant} = c.{Customer.tenant} "
    "AND x.{Subscription.customer} = c.{Customer.id}) "
    "AND NOT EXISTS (SELECT 1 FROM {Invoice} i WHERE i.{Invoice.tenant} = c.{Customer.tenant} "
    "AND i.{Invoice.customer} = c.{Customer.id})"
)

TEMPLATES: dict[str, str] = {
    # -- what a tenant looks like at start (RLS scopes every read to the current tenant) --
    "load_customers": (
        "SELECT c.{Customer.id}, count(o.{Order.id}) FROM {Customer} c LEFT JOIN {Order} o "
        "ON o.{Order.tenant} = c.{Customer.tenant} AND o.{Order.customer} = c.{Customer.id} "
        "WHERE c.{Customer.is_active} AND NOT c.{Customer.metadata} @> '{{\"test\": true}}' "
        "GROUP BY c.{Customer.id} LIMIT 50000"),
    "load_products": (
        "SELECT p.{Product.id}, p.{Product.sku}, p.{Product.category}, p.{Product.price}, "
        "(SELECT count(*) FROM {OrderItem} i WHERE i.{OrderItem.tenant} = p.{Product.tenant} "
        "AND i.{OrderItem.product} = p.{Product.id}) FROM {Product} p WHERE p.{Product.is_active} LIMIT 5000"),
    "load_open_orders": (
        "SELECT {Order.id}, {Order.status} FROM {Order} WHERE {Order.status} IN ('pending', 'processing') "
        "ORDER BY {Order.order_date} LIMIT 20000"),
    "order_status": "SELECT {Order.status}, count(*) FROM {Order} GROUP BY 1",
    "load_subscriptions": (
        "SELECT {Subscription.id} FROM {Subscription} WHERE {Subscription.status} IN ('active', 'trial') "
        "LIMIT 20000"),
    "load_open_invoices": (
        "SELECT {Invoice.id} FROM {Invoice} WHERE {Invoice.status} IN ('sent', 'draft') LIMIT 20000"),
    "load_test_customers": (
        "SELECT c.{Customer.id} FROM {Customer} c WHERE c.{Customer.metadata} @> '{{\"test\": true}}' AND "  # noqa: S608
        + _NO_DEPENDANTS + " LIMIT 200"),
    # Running numbers: the highest of the seeded shape (``ORD-0100001``, ``INV-202501-010001``).
    "last_order_number": (
        "SELECT max({Order.order_number}) FROM {Order} WHERE {Order.order_number} ~ '^ORD-[0-9]{{7}}$'"),
    "last_invoice_number": (
        "SELECT max(right({Invoice.invoice_number}, 6)) FROM {Invoice} "
        "WHERE {Invoice.invoice_number} ~ '^INV-[0-9]{{6}}-[0-9]{{6}}$'"),
    # Counts over the tenant's last N days of data (up to its latest order, so a world seeded
    # for an old window still has its pace).
    "pace": (
        "WITH a AS (SELECT coalesce(max({Order.order_date}), now()) - %(days)s * interval '1 day' AS since "
        "FROM {Order}) SELECT (SELECT count(*) FROM {Order}, a WHERE {Order.order_date} > a.since), "
        "(SELECT count(DISTINCT {Event.session_id}) FROM {Event}, a WHERE {Event.created_at} > a.since), "
        "(SELECT count(*) FROM {Customer}, a WHERE {Customer.created_at} > a.since "
        " AND NOT {Customer.metadata} @> '{{\"test\": true}}'), "
        "(SELECT count(*) FROM {Subscription}, a WHERE {Subscription.created_at} > a.since), "
        "(SELECT count(*) FROM {Invoice}, a WHERE {Invoice.created_at} > a.since)"),
    "pricing": (
        "SELECT coalesce(sum({Order.tax}) / nullif(sum({Order.subtotal}), 0), 0), "
        "max({Order.shipping}), min({Order.subtotal}) FILTER (WHERE {Order.shipping} = 0) "
        "FROM (SELECT * FROM {Order} ORDER BY {Order.order_date} DESC LIMIT 200) o"),
    # -- inserts -----------------------------------------------------------------------
    "insert_customers": (
        "INSERT INTO {Customer} ({Customer.id}, {Customer.tenant}, {Customer.created_at}, {Customer.updated_at}, "
        "{Customer.email}, {Customer.first_name}, {Customer.last_name}, {Customer.phone}, {Customer.is_active}, "
        "{Customer.metadata}) SELECT v.id, %s, now(), now(), v.email, v.first, v.last, v.phone, true, "
        "v.meta::jsonb FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
        "AS v(id, email, first, last, phone, meta)"),
    "insert_products": (
        "INSERT INTO {Product} ({Product.id}, {Product.tenant}, {Product.created_at}, {Product.updated_at}, "
        "{Product.sku}, {Product.name}, {Product.description}, {Product.category}, {Product.price}, "
        "{Product.cost}, {Product.stock_quantity}, {Product.is_active}) SELECT v.id, %s, now(), now(), v.sku, "
        "v.name, '', v.category, v.price, v.cost, v.stock, true "
        "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::int[]) "
        "AS v(id, sku, name, category, price, cost, stock)"),
    "insert_order": (
        "INSERT INTO {Order} ({Order.id}, {Order.tenant}, {Order.created_at}, {Order.updated_at}, "
        "{Order.customer}, {Order.order_number}, {Order.status}, {Order.subtotal}, {Order.tax}, {Order.shipping}, "
        "{Order.total}, {Order.order_date}, {Order.completed_at}, {Order.metadata}) "
        "VALUES (%s, %s, now(), now(), %s, %s, 'pending', %s, %s, %s, %s, now(), NULL, %s)"),
    "insert_items": (
        "INSERT INTO {OrderItem} ({OrderItem.id}, {OrderItem.tenant}, {OrderItem.created_at}, "
        "{OrderItem.updated_at}, {OrderItem.order}, {OrderItem.product}, {OrderItem.quantity}, "
        "{OrderItem.unit_price}, {OrderItem.discount}, {OrderItem.total}) SELECT v.id, %s, now(), now(), %s, "
        "v.product, v.quantity, v.price, v.discount, v.price * v.quantity - v.discount "
        "FROM unnest(%s::uuid[], %s::uuid[], %s::int[], %s::numeric[], %s::numeric[]) "
        "AS v(id, product, quantity, price, discount)"),
    # The products are locked in id order first (FOR NO KEY UPDATE, the lock UPDATE takes, which
    # does not conflict with the KEY SHARE locks of foreign-key checks), so two workers ordering
    # the same products cannot deadlock. An empty shelf is restocked rather than driven negative.
    "decrement_stock": (
        "UPDATE {Product} AS p SET {Product.stock_quantity} = CASE WHEN p.{Product.stock_quantity} >= v.q "
        "THEN p.{Product.stock_quantity} - v.q ELSE p.{Product.stock_quantity} + 100 END "
        "FROM (SELECT l.id, u.q FROM (SELECT {Product.id} AS id FROM {Product} WHERE {Product.tenant} = %s "
        "AND {Product.id} = ANY(%s::uuid[]) ORDER BY {Product.id} FOR NO KEY UPDATE) AS l "
        "JOIN unnest(%s::uuid[], %s::int[]) AS u(id, q) ON u.id = l.id) AS v "
        "WHERE p.{Product.tenant} = %s AND p.{Product.id} = v.id"),
    # Events carry their own moment (a session's earlier events lie seconds to minutes back).
    "insert_events": (
        "INSERT INTO {Event} ({Event.id}, {Event.tenant}, {Event.created_at}, {Event.updated_at}, "
        "{Event.customer}, {Event.session_id}, {Event.event_type}, {Event.event_data}, {Event.ip_address}, "
        "{Event.user_agent}) SELECT v.id, %s, now() - v.back * interval '1 millisecond', "
        "now() - v.back * interval '1 millisecond', %s::uuid, %s, v.kind, v.data::jsonb, %s::inet, %s "
        "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::bigint[]) AS v(id, kind, data, back)"),
    "insert_subscription": (
        "INSERT INTO {Subscription} ({Subscription.id}, {Subscription.tenant}, {Subscription.created_at}, "
        "{Subscription.updated_at}, {Subscription.customer}, {Subscription.plan_name}, {Subscription.status}, "
        "{Subscription.start_date}, {Subscription.end_date}, {Subscription.monthly_amount}, "
        "{Subscription.billing_cycle}) VALUES (%s, %s, now(), now(), %s, %s, %s, current_date, NULL, %s, %s)"),
    "insert_invoice": (
        "INSERT INTO {Invoice} ({Invoice.id}, {Invoice.tenant}, {Invoice.created_at}, {Invoice.updated_at}, "
        "{Invoice.customer}, {Invoice.subscription}, {Invoice.invoice_number}, {Invoice.amount}, {Invoice.status}, "
        "{Invoice.issue_date}, {Invoice.due_date}, {Invoice.paid_date}) "
        "VALUES (%s, %s, now(), now(), %s, %s, %s, %s, 'sent', current_date, current_date + %s, NULL)"),
    # -- order lifecycle (guarded: only the expected current status moves) -------------
    "start_processing": (
        "UPDATE {Order} SET {Order.status} = 'processing', {Order.updated_at} = now() "
        "WHERE {Order.tenant} = %s AND {Order.id} = %s AND {Order.status} = 'pending'"),
    "complete_order": (
        "UPDATE {Order} SET {Order.status} = 'completed', {Order.completed_at} = now(), {Order.updated_at} = now() "
        "WHERE {Order.tenant} = %s AND {Order.id} = %s AND {Order.status} = 'processing'"),
    # An abandoned checkout: the pending order is cancelled and its lines released.
    "cancel_order": (
        "UPDATE {Order} SET {Order.status} = 'cancelled', {Order.subtotal} = 0, {Order.tax} = 0, "
        "{Order.shipping} = 0, {Order.total} = 0, {Order.updated_at} = now() "
        "WHERE {Order.tenant} = %s AND {Order.id} = %s AND {Order.status} = 'pending'"),
    "delete_order_items": "DELETE FROM {OrderItem} WHERE {OrderItem.tenant} = %s AND {OrderItem.order} = %s",
    # -- housekeeping ------------------------------------------------------------------
    "edit_customer": (
        "UPDATE {Customer} SET {Customer.phone} = coalesce(%s, {Customer.phone}), "
        "{Customer.metadata} = {Customer.metadata} || %s::jsonb, {Customer.updated_at} = now() "
        "WHERE {Customer.tenant} = %s AND {Customer.id} = %s"),
    "restock_product": (
        "UPDATE {Product} SET {Product.stock_quantity} = {Product.stock_quantity} + %s, "
        "{Product.updated_at} = now() WHERE {Product.tenant} = %s AND {Product.id} = %s RETURNING {Product.price}"),
    "pay_invoice": (
        "UPDATE {Invoice} SET {Invoice.status} = 'paid', {Invoice.paid_date} = greatest({Invoice.issue_date}, "
        "current_date), {Invoice.updated_at} = now() WHERE {Invoice.tenant} = %s AND {Invoice.id} = %s "
        "AND {Invoice.status} IN ('sent', 'draft', 'overdue')"),
    "overdue_invoice": (
        "UPDATE {Invoice} SET {Invoice.status} = 'overdue', {Invoice.updated_at} = now() "
        "WHERE {Invoice.tenant} = %s AND {Invoice.id} = %s AND {Invoice.status} = 'sent'"),
    "bill_subscription": (
        "SELECT {Subscription.customer}, {Subscription.monthly_amount} * CASE WHEN {Subscription.billing_cycle} "
        "= 'yearly' THEN 12 ELSE 1 END FROM {Subscription} WHERE {Subscription.tenant} = %s "
        "AND {Subscription.id} = %s AND {Subscription.status} IN ('active', 'trial') "
        "AND {Subscription.start_date} <= current_date"),
    "end_trial": (
        "UPDATE {Subscription} SET {Subscription.status} = CASE WHEN %s THEN 'active' ELSE 'expired' END, "
        "{Subscription.end_date} = CASE WHEN %s THEN NULL ELSE current_date END, {Subscription.updated_at} = now() "
        "WHERE {Subscription.tenant} = %s AND {Subscription.id} = %s AND {Subscription.status} = 'trial'"),
    "end_subscription": (
        "UPDATE {Subscription} SET {Subscription.status} = %s, {Subscription.end_date} = "
        "greatest({Subscription.start_date}, current_date), {Subscription.updated_at} = now() "
        "WHERE {Subscription.tenant} = %s AND {Subscription.id} = %s AND {Subscription.status} IN ('active', 'trial')"),
    "delete_test_customer": (
        "DELETE FROM {Customer} c WHERE c.{Customer.tenant} = %s AND c.{Customer.id} = %s AND "  # noqa: S608
        + _NO_DEPENDANTS),
}


@dataclass(frozen=True)
class Statements:
    """The rendered statements (attribute per template name) and the tables they write."""

    text: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.text[name]
        except KeyError:
            raise AttributeError(name) from None

    def witness(self, table_name: str) -> str:
        if table_name not in WRITTEN_TABLES():
            raise ValueError(f"no witness query for {table_name}")
        return f"SELECT xmin::text FROM {table_name} WHERE id = %s"  # noqa: S608 (table from the models)


@cache
def WRITTEN_TABLES() -> frozenset[str]:  # noqa: N802 (a constant, computed once)
    return frozenset(table(m) for m in MODELS.values())


@cache
def statements() -> Statements:
    """Rendered once per process (the models' names cannot change while it runs)."""
    return Statements({name: render(t) for name, t in TEMPLATES.items()})
