"""Will a seeding run write more WAL than a replication slot can keep?

A logical replication slot (the CDC consumer's, or AWS DMS's) holds WAL back until its
consumer confirms it. With ``max_slot_wal_keep_size`` set, PostgreSQL gives up on a slot
that falls further behind than that: the slot becomes ``lost`` and its consumer needs a new
full load. Re-seeding a world writes a lot of WAL in a few seconds, so ``seed_all`` checks
first: it estimates the WAL of the planned rows and compares it with each slot's
``pg_replication_slots.safe_wal_size`` (the bytes that can still be written before the slot
is at risk; NULL when the size is unlimited).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from project.database import connect

__all__ = ["WAL_BYTES_PER_ROW", "SlotRisk", "estimate_wal_bytes", "slots_at_risk"]

logger = logging.getLogger(__name__)

#: WAL written per seeded row, all tables and indexes together (heap and index records plus
#: full-page images after a checkpoint), per row of a plan's estimate. Measured: about 920 bytes on
#: small worlds of 8k and 45k rows (rounded up: a warning should come early); a test seeds two worlds and
#: holds this figure within a factor of two of the WAL it really wrote.
WAL_BYTES_PER_ROW = 1000


@dataclass(frozen=True)
class SlotRisk:
    slot: str
    wal_status: str
    safe_wal_size: int | None
    estimated_bytes: int

    def sentence(self) -> str:
        if self.wal_status == "lost":
            return (f"replication slot {self.slot!r} has already lost WAL (wal_status lost): its consumer needs "
                    f"a new full load; drop it with `cdc_slots --drop` when you are ready")
        return (f"this run writes about {_mb(self.estimated_bytes)} of WAL, more than replication slot "
                f"{self.slot!r} can keep ({_mb(self.safe_wal_size or 0)} left under max_slot_wal_keep_size): "
                f"let its consumer catch up first, raise max_slot_wal_keep_size, or drop the slot "
                f"(`cdc_slots --drop`) and plan a new full load")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def estimate_wal_bytes(rows: int) -> int:
    return int(rows * WAL_BYTES_PER_ROW)


def slots_at_risk(rows: int, dbname: str | None = None) -> list[SlotRisk]:
    """The slots that writing ``rows`` rows would push past their limit (or that are lost already)."""
    estimate = estimate_wal_bytes(rows)
    conn = connect("replication", dbname=dbname)
    try:
        conn.set_session(readonly=True, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute("SELECT slot_name, coalesce(wal_status, ''), safe_wal_size FROM pg_replication_slots "
                           "ORDER BY slot_name")
            slots = cursor.fetchall()
    finally:
        conn.close()
    risks = []
    for name, status, safe in slots:
        if status == "lost" or (safe is not None and estimate > safe):
            risks.append(SlotRisk(name, status, None if safe is None else int(safe), estimate))
    return risks
