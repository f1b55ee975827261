"""Logical replication slots, managed as the replication role (what DMS connects as).

A slot retains WAL from its ``restart_lsn`` until a consumer confirms it; an abandoned slot
fills the disk until ``max_slot_wal_keep_size`` invalidates it (``wal_status = 'lost'``),
after which only a new slot and a full reload help. Hence: unique names, explicit drops.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import psycopg2
from psycopg2 import errors

from cdc.sql import SLOT_STATUS_SQL
from project.database import connect

PLUGIN = "test_decoding"
DEFAULT_SLOT = "lakehouse_dms"

LIST_SQL = """
SELECT slot_name, plugin, slot_type, database, active, active_pid,
       restart_lsn::text, confirmed_flush_lsn::text, wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained_bytes
FROM pg_replication_slots ORDER BY slot_name
"""


@dataclass(frozen=True)
class SlotInfo:
    slot_name: str
    plugin: str | None
    slot_type: str
    database: str | None
    active: bool
    active_pid: int | None
    restart_lsn: str | None
    confirmed_flush_lsn: str | None
    wal_status: str | None
    retained_bytes: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def replication_sql_connection(dbname: str | None = None):
    """An autocommit SQL connection as the replication role (not a walsender)."""
    conn = connect("replication", dbname=dbname)
    conn.autocommit = True
    return conn


def list_slots(dbname: str | None = None) -> list[SlotInfo]:
    conn = replication_sql_connection(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(LIST_SQL)
            return [SlotInfo(*row) for row in cursor.fetchall()]
    finally:
        conn.close()


def create_slot(name: str, dbname: str | None = None) -> bool:
    """Create a ``test_decoding`` slot; False when it already exists."""
    conn = replication_sql_connection(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_create_logical_replication_slot(%s, %s)", [name, PLUGIN])
        return True
    except errors.DuplicateObject:
        return False
    finally:
        conn.close()


def drop_slot(name: str, dbname: str | None = None, *, wait_seconds: float = 15.0) -> bool:
    """Drop a slot; waits for a just-stopped consumer's walsender to let go. False if absent."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn = replication_sql_connection(dbname)
        except psycopg2.OperationalError:  # the server may be restarting
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
            continue
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_drop_replication_slot(%s)", [name])
            return True
        except errors.UndefinedObject:
            return False
        except errors.ObjectInUse:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
        finally:
            conn.close()


#: PostgreSQL's rule for slot names: lower-case letters, digits and underscores, at most 63.
SLOT_NAME_RE = re.compile(r"^[a-z0-9_]{1,63}$")


class SlotLost(RuntimeError):
    """The slot's WAL was removed (``wal_status = 'lost'``): its changes cannot be streamed any more."""


def validate_slot_name(name: str) -> str:
    if not SLOT_NAME_RE.match(name or ""):
        raise ValueError(f"{name!r} is not a valid slot name (lower-case letters, digits and '_', at most 63).")
    return name


def lost_slot_message(name: str) -> str:
    return (f"Slot {name!r} is lost: PostgreSQL removed the WAL it needed (wal_status = 'lost', past "
            f"max_slot_wal_keep_size), so the changes since its last confirmation cannot be streamed; drop it "
            f"with 'python manage.py cdc_slots --drop {name}' and start a new full load (dms_task into a new "
            "target).")


def slot_status(name: str, dbname: str | None = None) -> str | None:
    """The slot's ``wal_status`` ('reserved', 'extended', 'unreserved', 'lost'), or None if absent."""
    conn = replication_sql_connection(dbname)
    try:
        with conn.cursor() as cursor:
            cursor.execute(SLOT_STATUS_SQL, [name])
            row = cursor.fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    return row[0] or "reserved"


def ensure_not_lost(name: str, dbname: str | None = None) -> None:
    if slot_status(name, dbname) == "lost":
        raise SlotLost(lost_slot_message(name))
