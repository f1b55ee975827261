"""Signed tenant contexts: every policy verifies a proof (rls.sql), names its roles, and
grants follow row security (DMS reads tenant tables only; events are append-only by
privilege). See docs/SECURITY.md."""

from django.db import migrations

import rls.operations


class Migration(migrations.Migration):

    dependencies = [
        ("tenancy", "0001_initial"),
        ("models_app", "0002_replica_identity"),
    ]

    operations = [
        rls.operations.SignTenantPolicies(),
    ]
