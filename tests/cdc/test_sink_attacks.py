"""The CDC sink against hostile table names (issue 11): no escape from the landing root, no merging.

Attack: someone who can create a table (the admin breaking a scratch schema here) names it
``../../x`` or gives it the name of a replicated table in another schema, and lets the
slot carry its rows to the task. Defence: the sink writes only the schema-qualified
tables of the mapping's catalog, keys files by schema and table, refuses path-like names
and reserved meta column names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdc.arrowtypes import TableSchema
from cdc.catalog import load_catalog
from cdc.consumer import Consumer
from cdc.landing import FolderStore, LandingError
from cdc.mapping import table_filter
from cdc.sink import LandingSink, OutRow
from cdc.slots import replication_sql_connection
from project.database import connect
from tests.cdc.landing_support import landed_rows

EVIL = "evil_cdc"


@pytest.fixture
def evil_schema(django_db_setup: str) -> Iterator[object]:
    admin = connect("admin", dbname=django_db_setup)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {EVIL}")
        cursor.execute(f'CREATE TABLE {EVIL}."../../x" (tenant_id uuid, id uuid PRIMARY KEY, payload text)')
        cursor.execute(f"CREATE TABLE {EVIL}.models_app_customer (tenant_id uuid, id uuid PRIMARY KEY, email text)")
        cursor.execute(f'CREATE TABLE {EVIL}.has_op ("Op" text, id uuid PRIMARY KEY)')
        cursor.execute(f"GRANT USAGE ON SCHEMA {EVIL} TO PUBLIC")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {EVIL} TO PUBLIC")
    try:
        yield admin
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {EVIL} CASCADE")
        admin.close()


def _insert_evil_rows(admin) -> str:
    marker = f"evil-{uuid.uuid4().hex[:8]}@attacker.test"
    with admin.cursor() as cursor:
        cursor.execute(f'INSERT INTO {EVIL}."../../x" VALUES (gen_random_uuid(), gen_random_uuid(), %s)', [marker])
        cursor.execute(f"INSERT INTO {EVIL}.models_app_customer VALUES (gen_random_uuid(), gen_random_uuid(), %s)",
                       [marker])
    return marker


def test_hostile_tables_in_another_schema_stay_out(evil_schema, slot: str, committed, tmp_path: Path,
                                                    django_db_setup: str) -> None:
    """A table named ``../../x`` cannot write outside the root; ``evil.models_app_customer`` is not public's."""
    root = tmp_path / "landing"
    committed.tenant()  # a genuine change too
    marker = _insert_evil_rows(evil_schema)
    stats = Consumer(slot, root, fmt="csv", tables=table_filter(), dbname=django_db_setup).run(once=True)
    assert stats.ignored_rows == 2 and stats.rows >= 1
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert written and all(p.parts[0] == "landing" for p in written)  # nothing beside or above the root
    assert all(p.parts[1] in ("public", "_dms_task_state.json") for p in written)
    rows = landed_rows(FolderStore(root))
    assert all(marker not in str(row.values()) for _t, _k, _n, row in rows)


def test_negative_control_a_path_built_from_the_name_escapes(tmp_path: Path) -> None:
    """Without the check, joining the names as a path leaves the root: the attack works."""
    root = tmp_path / "landing"
    naive = (root / EVIL / "../../x").resolve()
    assert not naive.is_relative_to(root.resolve())


def test_the_sink_refuses_what_the_mapping_does_not_select(tmp_path: Path, django_db_setup: str) -> None:
    store = FolderStore(tmp_path)
    hostile = TableSchema(EVIL, "../../x", ("id",), ("uuid",))
    with pytest.raises(LandingError, match="cannot be a landing folder"):
        LandingSink(store, "csv", {(EVIL, "../../x"): hostile})
    for name in ("..", ".", "a/b", "a\\b", "", "_state"):
        with pytest.raises(LandingError):
            LandingSink(store, "csv", {("public", name): TableSchema("public", name, ("id",), ("uuid",))})
    conn = replication_sql_connection(django_db_setup)
    try:
        catalog = load_catalog(conn, table_filter())
    finally:
        conn.close()
    sink = LandingSink(store, "csv", catalog)
    row = OutRow("I", "2026-01-01 00:00:00.000000", "0" * 35, {"id": str(uuid.uuid4())})
    with pytest.raises(LandingError, match="not selected"):
        sink.write(EVIL, "models_app_customer", [row])  # same table name, other schema: refused
    assert list(tmp_path.iterdir()) == []


def test_reserved_meta_column_names_are_refused(evil_schema, django_db_setup: str) -> None:
    conn = replication_sql_connection(django_db_setup)
    try:
        with pytest.raises(LandingError, match="named like the landing's meta columns"):
            load_catalog(conn, {(EVIL, "has_op")})
    finally:
        conn.close()
