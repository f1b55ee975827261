"""Comparing what the simulator committed with what the consumer captured.

The simulator keeps a ledger: per table, how many rows it inserted, updated and deleted in
transactions that committed. The consumer's files hold one row per captured change with a
change sequence; the comparison counts distinct sequences per table and operation
(restricted to the simulated tenants, which the replica identity makes possible even for
deletes), so a replayed transaction shows up as a duplicate, never as an extra capture.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cdc.sink import read_rows
from cdc.workload.simulator import OPS, Ledger

__all__ = ["OPS", "Captured", "Comparison", "Ledger", "compare", "percentile", "read_captured"]


def percentile(values: Iterable[float], pct: float) -> float | None:
    """Nearest-rank percentile (a value that occurred, never an interpolation); None for no values."""
    array = np.fromiter(values, dtype=float)
    if array.size == 0:
        return None
    return float(np.percentile(array, pct, method="inverted_cdf"))


@dataclass
class Captured:
    """What the consumer's files hold for the tenants of interest."""

    distinct: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rows: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    lag_seconds: list[float] = field(default_factory=list)
    other_tenant_rows: int = 0


def read_captured(out_dir: Path, tenant_ids: set[str] | None, tenant_columns: Mapping[str, str]) -> Captured:
    """Count the rows under ``out_dir`` (only those of ``tenant_ids`` when given).

    Lag per transaction: the file's write time (its name) minus the commit timestamp.
    """
    captured = Captured()
    seen: set[tuple[str, str]] = set()
    lag_by_txn: dict[str, float] = {}
    for row in read_rows(out_dir):
        column = tenant_columns.get(row.table, "tenant_id")
        if tenant_ids is not None and row.values.get(column) not in tenant_ids:
            captured.other_tenant_rows += 1
            continue
        captured.rows[row.table][row.op] += 1
        key = (row.table, row.change_seq)
        if key in seen:
            continue
        seen.add(key)
        captured.distinct[row.table][row.op] += 1
        txn = row.change_seq.split("-", 1)[0]
        if txn not in lag_by_txn and row.commit_timestamp:
            committed = dt.datetime.fromisoformat(row.commit_timestamp)
            lag_by_txn[txn] = (row.written_at - committed).total_seconds()
    captured.lag_seconds = list(lag_by_txn.values())
    return captured


@dataclass
class Comparison:
    per_table: dict[str, dict[str, dict[str, int]]]
    operations: int
    captured: int
    missing: int
    unexpected: int
    duplicates: int

    @property
    def ok(self) -> bool:
        return self.missing == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "expected_changes": self.operations, "captured": self.captured, "missing": self.missing,
            "unexpected": self.unexpected, "duplicates": self.duplicates, "tables": self.per_table,
        }


def compare(ledger: Ledger, distinct: Mapping[str, Mapping[str, int]],
            rows: Mapping[str, Mapping[str, int]] | None = None) -> Comparison:
    """Per table and operation: expected (ledger) vs captured (distinct), missing, duplicates.

    ``missing`` is what the ledger has and the capture lacks (the failure DMS must never
    show); ``unexpected`` is captured beyond the ledger (another writer on the same
    tenants); ``duplicates`` are rows beyond the distinct changes (at-least-once replays).
    """
    rows = rows if rows is not None else distinct
    per_table: dict[str, dict[str, dict[str, int]]] = {}
    totals = Counter[str]()
    for table in sorted(set(ledger.tables) | set(distinct) | set(rows)):
        entry: dict[str, dict[str, int]] = {}
        for op in OPS:
            expected = int(ledger.tables.get(table, Counter())[op])
            got = int(distinct.get(table, {}).get(op, 0))
            raw = int(rows.get(table, {}).get(op, 0))
            figures = {
                "expected": expected, "captured": got, "missing": max(0, expected - got),
                "unexpected": max(0, got - expected), "duplicates": max(0, raw - got),
            }
            if any(figures.values()):
                entry[op] = figures
            totals.update(figures)
        if entry:
            per_table[table] = entry
    return Comparison(per_table, totals["expected"], totals["captured"], totals["missing"],
                      totals["unexpected"], totals["duplicates"])
