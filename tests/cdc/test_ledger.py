"""The ledger comparison: what counts as missing, unexpected and duplicate."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cdc.arrowtypes import TableSchema
from cdc.decoding import UNCHANGED_TOAST
from cdc.landing import FolderStore, change_seq
from cdc.sink import LandingSink, OutRow, read_rows
from cdc.workload.ledger import Ledger, compare, percentile, read_captured


def test_exact_capture_passes() -> None:
    ledger = Ledger.from_dict({"orders": {"I": 3, "U": 2, "D": 0}, "items": {"D": 1}})
    result = compare(ledger, {"orders": {"I": 3, "U": 2}, "items": {"D": 1}})
    assert result.ok
    assert (result.operations, result.captured, result.missing, result.duplicates) == (6, 6, 0, 0)


def test_missing_is_per_table_and_operation() -> None:
    # Totals agree (one update too many, one insert missing): the per-operation view still fails.
    ledger = Ledger.from_dict({"orders": {"I": 3, "U": 2}})
    result = compare(ledger, {"orders": {"I": 2, "U": 3}})
    assert not result.ok
    assert result.missing == 1 and result.unexpected == 1
    assert result.per_table["orders"]["I"]["missing"] == 1
    assert result.per_table["orders"]["U"]["unexpected"] == 1


def test_duplicates_are_counted_not_hidden() -> None:
    ledger = Ledger.from_dict({"events": {"I": 4}})
    result = compare(ledger, {"events": {"I": 4}}, rows={"events": {"I": 6}})
    assert result.ok and result.duplicates == 2


def test_table_absent_from_capture_is_all_missing() -> None:
    result = compare(Ledger.from_dict({"invoices": {"U": 5}}), {})
    assert result.missing == 5 and not result.ok


def test_ledger_rejects_unknown_operations() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        Ledger().add({"t": {"X": 1}})


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0


def test_files_round_trip_and_tenant_filter(tmp_path: Path) -> None:
    columns = ("id", "tenant_id", "note", "big")
    sink = LandingSink(FolderStore(tmp_path), "csv", {("public", "t"): TableSchema("public", "t", columns,
                                                                                   ("text",) * 4)})
    stamp = "2025-01-01 00:00:00.000000"
    sink.write("public", "t", [
        OutRow("I", stamp, change_seq(1, 0), {"id": "1", "tenant_id": "a", "note": 'say "hi", it\'s', "big": "x"}),
        OutRow("U", stamp, change_seq(2, 0), {"id": "1", "tenant_id": "a", "note": None, "big": UNCHANGED_TOAST}),
        OutRow("I", stamp, change_seq(2, 1), {"id": "2", "tenant_id": "other", "note": "", "big": "y"}),
    ])
    # A replayed transaction, written again by a restarted consumer.
    sink.write("public", "t", [
        OutRow("U", stamp, change_seq(2, 0), {"id": "1", "tenant_id": "a", "note": None, "big": UNCHANGED_TOAST})])
    rows = list(read_rows(tmp_path))
    assert [r.op for r in rows] == ["I", "U", "I", "U"]
    assert rows[0].values["note"] == 'say "hi", it\'s'
    assert rows[1].values["big"] == "unchanged-toast-datum"
    captured = read_captured(tmp_path, {"a"}, {"t": "tenant_id"})
    assert captured.distinct == {"t": Counter({"I": 1, "U": 1})}
    assert captured.rows == {"t": Counter({"I": 1, "U": 2})}
    assert captured.other_tenant_rows == 1
    assert len(captured.lag_seconds) == 2  # one per transaction (A, B)
    text = "".join(path.read_text() for path in sorted(tmp_path.glob("public/t/*.csv")))
    assert ',"",' in text and '"1","a",,unchanged-toast-datum' in text  # "" is empty, bare is NULL
