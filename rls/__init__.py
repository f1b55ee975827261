"""Row-Level Security for tenant isolation: roles, policy SQL, constraints, checks, audit.

Public API::

    from rls.sql import CURRENT_TENANT_SQL, SET_TENANT_SQL, tenant_predicate
    from rls.constraints import TenantIsolationPolicy, TenantForeignKeyConstraint, tenant_scoped_models
    from rls.roles import configured_roles, role_statements, database_statements
    from rls.predicate import is_tenant_predicate     # the one "is this the tenant predicate" rule
    from rls.conf import migration_database, role_names

``rls`` depends on Django only; it never imports ``models_app``, ``seeding`` or ``cdc``.
"""
