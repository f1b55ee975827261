"""Row-Level Security for tenant isolation: roles, policy SQL, constraints, checks, audit.

Public API::

    from rls.sql import CURRENT_TENANT_SQL, SET_TENANT_SQL, tenant_predicate
    from rls.constraints import TenantIsolationPolicy, TenantForeignKeyConstraint, tenant_scoped_models
    from rls.roles import configured_roles, role_statements, database_statements, policy_roles
    from rls.predicate import is_tenant_predicate     # the one "is this the tenant predicate" rule
    from rls.conf import migration_database, role_names
    from rls.signing import proof, signing_key, accepted_keys      # signed tenant contexts
    from rls.audit import audit, render_text, policy_script

``rls`` depends on Django only; it never imports ``models_app``, ``seeding`` or ``cdc``.
"""

from rls.conf import migration_database, role_names
from rls.constraints import TenantForeignKeyConstraint, TenantIsolationPolicy, tenant_policy_of, tenant_scoped_models
from rls.predicate import is_tenant_predicate
from rls.roles import Roles, configured_roles, database_statements, policy_roles, role_statements
from rls.signing import accepted_keys, proof, signing_key
from rls.sql import CURRENT_TENANT_SQL, SET_TENANT_SQL, enable_rls_statements, qn, tenant_predicate

__all__ = [
    "CURRENT_TENANT_SQL", "SET_TENANT_SQL", "Roles", "TenantForeignKeyConstraint", "TenantIsolationPolicy",
    "accepted_keys", "configured_roles", "database_statements", "enable_rls_statements", "is_tenant_predicate",
    "migration_database", "policy_roles", "proof", "qn", "role_names", "role_statements", "signing_key",
    "tenant_policy_of", "tenant_predicate", "tenant_scoped_models",
]
