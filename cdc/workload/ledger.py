"""Comparing what the simulator committed with what the consumer captured.

The simulator keeps a ledger: per table, how many rows it inserted, updated and deleted in
transactions that committed (a run's :class:`Summary` carries it). The consumer's files hold
one row per captured change with a change sequence; the comparison counts distinct sequences per table and operation
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

__all__ = ["OPS", "Captured", "Comparison", "Ledger", "Summary", "compare", "merge_summaries", "percentile",
           "read_captured"]

#: Row operations as the ledger and the consumer's files name them.
OPS = ("I", "U", "D")


@dataclass
class Ledger:
    """Committed row changes per table: ``{table: Counter({"I": n, "U": n, "D": n})}``."""

    tables: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, effects: Mapping[str, Mapping[str, int]]) -> None:
        for name, counts in effects.items():
            for op, n in counts.items():
                if op not in OPS:
                    raise ValueError(f"unknown operation {op!r} for {name}")
                if n:
                    self.tables[name][op] += n

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {t: {op: c[op] for op in OPS} for t, c in sorted(self.tables.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, int]]) -> Ledger:
        ledger = cls()
        ledger.add(data)
        return ledger


@dataclass
class Summary:
    seconds: float
    operations: Counter[str]
    errors: int
    retries: int
    reconnects: int
    ledger: Ledger
    last_errors: list[str]
    #: Transactions whose COMMIT was in flight when the connection died, and how many committed.
    in_doubt: int = 0
    in_doubt_committed: int = 0
    #: Simulated seconds the run covered (its clock; real seconds × time scale when paced).
    simulated_seconds: float = 0.0
    #: Why the run ended early (a worker's failure), one sentence; None when it ended normally.
    failure: str | None = None
    #: Transactions whose COMMIT was in flight when the database went away for good: their
    #: outcome cannot be known, so they are not in the ledger (at most one per worker).
    unsettled: int = 0

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3), "operations": self.total,
            "ops_per_second": round(self.total / self.seconds, 1) if self.seconds else None,
            "simulated_hours": round(self.simulated_seconds / 3600, 3),
            "by_type": dict(sorted(self.operations.items())), "errors": self.errors, "retries": self.retries,
            "reconnects": self.reconnects, "in_doubt": self.in_doubt, "in_doubt_committed": self.in_doubt_committed,
            "ledger": self.ledger.as_dict(), "row_changes": self.ledger.total(),
            "last_errors": self.last_errors[-5:], "failure": self.failure, "unsettled": self.unsettled,
        }


def merge_summaries(parts: list[Summary], seconds: float, failure: str | None = None) -> Summary:
    operations: Counter[str] = Counter()
    ledger = Ledger()
    errors = retries = reconnects = in_doubt = in_doubt_committed = unsettled = 0
    simulated = 0.0
    last_errors: list[str] = []
    for part in parts:
        operations.update(part.operations)
        ledger.add(part.ledger.as_dict())
        errors += part.errors
        retries += part.retries
        reconnects += part.reconnects
        in_doubt += part.in_doubt
        in_doubt_committed += part.in_doubt_committed
        unsettled += part.unsettled
        last_errors += part.last_errors
        simulated = max(simulated, part.simulated_seconds)
    return Summary(seconds, operations, errors, retries, reconnects, ledger, last_errors, in_doubt,
                   in_doubt_committed, simulated, failure, unsettled)




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
        txn = row.change_seq[:20]  # the commit LSN part of the 35-digit change sequence (cdc.landing)
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
