"""The tenant policy reads the setting without a sub-select (see rls/sql.py: CURRENT_TENANT_SQL)."""

from django.db import migrations

import rls.operations


class Migration(migrations.Migration):

    dependencies = [
        ("tenancy", "0001_initial"),
    ]

    operations = [rls.operations.AlignTenantPolicies()]
