"""The tenant policies read the setting without a sub-select (see rls/sql.py: CURRENT_TENANT_SQL)."""

from django.db import migrations

import rls.operations


class Migration(migrations.Migration):

    dependencies = [
        ("models_app", "0002_replica_identity"),
    ]

    operations = [rls.operations.AlignTenantPolicies()]
