"""Every change image of a tenant-scoped table carries tenant_id (see rls/replica.py)."""

from django.db import migrations

import rls.replica


class Migration(migrations.Migration):

    dependencies = [
        ("models_app", "0001_initial"),
    ]

    operations = [
        rls.replica.SetTenantReplicaIdentity(model_name=name)
        for name in ("Customer", "Product", "Subscription", "Order", "OrderItem", "Event", "Invoice")
    ]
