"""The suite itself runs as the unprivileged app role; otherwise it would prove nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from rls.checks import runtime_findings
from rls.constraints import tenant_scoped_models

pytestmark = [pytest.mark.rls, pytest.mark.django_db]


def _one(sql: str, params: object = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_test_connection_is_the_app_role_and_cannot_bypass_rls() -> None:
    user, is_super, bypass, replication, createdb, createrole = _one(
        "SELECT rolname, rolsuper, rolbypassrls, rolreplication, rolcreatedb, rolcreaterole "
        "FROM pg_roles WHERE rolname = current_user"
    )
    assert user == settings.LAKEHOUSE_ROLES["app"]
    assert (is_super, bypass, replication, createdb, createrole) == (False, False, False, False, False)


def test_app_role_owns_nothing_and_is_member_of_nobody() -> None:
    owned = _one(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'MEMBER')"
    )[0]
    assert owned == 0
    memberships = _one("SELECT count(*) FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles "
                       "WHERE rolname = current_user)")[0]
    assert memberships == 0


def test_every_tenant_table_is_owned_by_the_owner_with_rls_enabled_and_forced() -> None:
    tables = [m._meta.db_table for m in tenant_scoped_models()]
    assert len(tables) == 8
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_get_userbyid(relowner), relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s)", [tables])
        rows = cursor.fetchall()
    assert len(rows) == 8
    for table, owner, enabled, forced in rows:
        assert owner == settings.LAKEHOUSE_ROLES["owner"], table
        assert enabled and forced, table


def test_role_attributes_match_the_design() -> None:
    names = settings.LAKEHOUSE_ROLES
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolname, rolsuper, rolbypassrls, rolreplication, rolcanlogin FROM pg_roles "
                       "WHERE rolname = ANY(%s)", [list(names.values())])
        attrs = {row[0]: row[1:] for row in cursor.fetchall()}
    assert attrs[names["owner"]] == (False, False, False, True)
    assert attrs[names["app"]] == (False, False, False, True)
    assert attrs[names["replication"]] == (False, True, True, True)
    assert attrs[names["resolver"]] == (False, True, False, False)


def test_app_role_has_no_truncate_references_or_trigger_privilege() -> None:
    for model in tenant_scoped_models():
        table = model._meta.db_table
        privileges = _one(
            "SELECT has_table_privilege(current_user, %s, 'TRUNCATE'), "
            "has_table_privilege(current_user, %s, 'REFERENCES'), has_table_privilege(current_user, %s, 'TRIGGER'), "
            "has_table_privilege(current_user, %s, 'SELECT,INSERT,UPDATE,DELETE')",
            [table] * 4,
        )
        assert privileges == (False, False, False, True), table


def test_system_check_passes_on_the_test_database() -> None:
    assert runtime_findings() == []
