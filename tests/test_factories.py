"""factory-boy factories make valid rows inside the current tenant."""

from __future__ import annotations

import pytest

from models_app.models import Event, Invoice, OrderItem, Subscription
from tenancy import tenant_context
from tests import factories as F


@pytest.mark.django_db
def test_factories_create_valid_rows_in_the_current_tenant(tenant_factory):
    tenant = tenant_factory()
    with tenant_context(tenant):
        item = F.OrderItemFactory()
        event = F.EventFactory()
        sub = F.SubscriptionFactory()
        invoice = F.InvoiceFactory(customer=sub.customer, subscription=sub)
        assert {item.tenant_id, item.order.tenant_id, item.product.tenant_id, event.tenant_id,
                sub.tenant_id, invoice.tenant_id} == {tenant.id}
        assert item.total == item.quantity * item.unit_price - item.discount
        assert OrderItem.objects.count() == 1 and Event.objects.count() == 1
        assert Subscription.objects.count() == 1 and Invoice.objects.count() == 1
