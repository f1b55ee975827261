"""Property: whatever the interleaving, batching, file split, delivery order and replays, Silver is
the final state of the source.

Pure lake: no database. A random history of inserts, updates and deletes per key (re-inserts
included) gets increasing change sequences, is cut into batches and files, and the files land
in a random order, some of them twice (under the same name and rewritten, or under a new
name), with a build after random deliveries.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdc.sink import OutRow
from lakehouse.build import build
from lakehouse.schema import spec_map
from lakehouse.silver import connect
from tests.lakehouse.landing_writer import cdc_name, seq, write_file

TABLE = "models_app_product"
TENANT = "0190a000-0000-7000-8000-000000000001"
TEXTS = st.sampled_from(["plain", "", "with, comma", 'with "quote"', "line\nbreak", "ünï", "NULL"])


def _row(key: str, name: str, description: str | None, price_cents: int, active: bool, day: int) -> dict:
    return {
        "id": key, "tenant_id": TENANT, "created_at": "2024-01-01 00:00:00+00",
        "updated_at": f"2024-01-{day:02d} 10:00:00+00", "sku": f"SKU-{key[:8]}", "name": name,
        "description": description, "category": "Books", "price": f"{price_cents // 100}.{price_cents % 100:02d}",
        "cost": "0.50", "stock_quantity": str(price_cents % 7), "is_active": "true" if active else "false",
    }


@st.composite
def histories(draw):
    """A valid history: (key, op, values) in commit order, and how many leading inserts are the full load."""
    keys = [str(uuid.UUID(int=draw(st.integers(0, 2**64)) + (i << 100))) for i in range(draw(st.integers(1, 4)))]
    live: dict[str, bool] = dict.fromkeys(keys, False)
    events = []
    for _ in range(draw(st.integers(1, 25))):
        key = draw(st.sampled_from(keys))
        op = draw(st.sampled_from(["U", "U", "D"])) if live[key] else "I"
        values = _row(key, draw(TEXTS), draw(st.none() | TEXTS), draw(st.integers(100, 99999)), draw(st.booleans()),
                      draw(st.integers(1, 28)))
        live[key] = op != "D"
        events.append((key, op, values))
    # The full load: a prefix of first inserts (one per key), delivered as LOAD rows.
    load = 0
    seen: set[str] = set()
    for key, op, _ in events:
        if op != "I" or key in seen or not draw(st.booleans()):
            break
        seen.add(key)
        load += 1
    return events, load


def _final_state(events) -> dict[str, dict]:
    state: dict[str, dict] = {}
    for key, op, values in events:
        if op == "D":
            state.pop(key, None)
        else:
            state[key] = values
    return state


def _silver(warehouse: Path, columns: list[str]) -> dict[str, dict]:
    con = connect(warehouse, read_only=True)
    try:
        cols = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
        rows = con.execute(f'SELECT {cols} FROM silver."{TABLE}"').fetchall()
    finally:
        con.close()
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), data=st.data())
def test_silver_is_the_final_state(history, data) -> None:
    events, load = history
    spec = spec_map()[TABLE]
    columns = spec.column_names
    with tempfile.TemporaryDirectory() as tmp:
        landing, warehouse = Path(tmp) / "landing", Path(tmp) / "warehouse"
        files: list[tuple[str, list[OutRow]]] = []
        if load:
            files.append(("LOAD00000001", [OutRow("I", "2024-01-01 00:00:00", "", v) for _, _, v in events[:load]]))
        changes = [OutRow(op, f"2024-01-02 00:00:{i % 60:02d}", seq(i + 1),
                          {"tenant_id": TENANT, "id": key} if op == "D" else values)
                   for i, (key, op, values) in enumerate(events[load:])]
        cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(changes))), max_size=6))))
        start = 0
        for cut in [*cuts, len(changes)]:
            if changes[start:cut]:
                files.append((cdc_name(len(files) + 1), changes[start:cut]))
            start = max(start, cut)
        deliveries = data.draw(st.permutations(files))
        replays = data.draw(st.lists(st.sampled_from(files), max_size=4)) if files else []
        fmt = data.draw(st.sampled_from(["csv", "parquet"]))
        for index, (name, rows) in enumerate([*deliveries, *replays]):
            # A replay lands either under its own name again (rewritten) or under a new CDC name.
            if index >= len(deliveries) and data.draw(st.booleans()) and not name.startswith("LOAD"):
                name = cdc_name(1000 + index)
            write_file(landing, TABLE, name, columns, rows, fmt=fmt)
            if data.draw(st.booleans()):
                build(str(landing), warehouse, with_iceberg=False, with_gold=False, specs=[spec])
        build(str(landing), warehouse, with_iceberg=False, with_gold=False, specs=[spec])
        expected = _final_state(events)
        assert _silver(warehouse, columns) == expected
        # Idempotent: one more build changes nothing.
        assert build(str(landing), warehouse, with_iceberg=False, with_gold=False, specs=[spec]).rows_applied == 0
        assert _silver(warehouse, columns) == expected


def test_insert_delete_reinsert_in_one_file(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    key = str(uuid.uuid4())
    first, second = _row(key, "first", None, 1000, True, 1), _row(key, "second", "again", 2000, False, 2)
    rows = [OutRow("I", "", seq(1), first), OutRow("D", "", seq(2), {"tenant_id": TENANT, "id": key}),
            OutRow("I", "", seq(3), second)]
    write_file(tmp_path / "l", TABLE, cdc_name(1), spec.column_names, rows)
    build(str(tmp_path / "l"), tmp_path / "w", with_iceberg=False, with_gold=False, specs=[spec])
    assert _silver(tmp_path / "w", spec.column_names) == {key: second}


def test_unchanged_toast_value_keeps_the_previous_one(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    key = str(uuid.uuid4())
    v1 = _row(key, "n1", "a long description", 1000, True, 1)
    v2 = {**_row(key, "n2", None, 1000, True, 2), "description": "unchanged-toast-datum"}
    v3 = {**_row(key, "n3", None, 1000, True, 3), "description": "unchanged-toast-datum"}
    land = tmp_path / "l"
    write_file(land, TABLE, cdc_name(1), spec.column_names, [OutRow("I", "", seq(1), v1), OutRow("U", "", seq(2), v2)])
    build(str(land), tmp_path / "w", with_iceberg=False, with_gold=False, specs=[spec])
    assert _silver(tmp_path / "w", spec.column_names)[key]["description"] == "a long description"
    write_file(land, TABLE, cdc_name(2), spec.column_names, [OutRow("U", "", seq(3), v3)])
    build(str(land), tmp_path / "w", with_iceberg=False, with_gold=False, specs=[spec])
    got = _silver(tmp_path / "w", spec.column_names)[key]
    assert (got["name"], got["description"]) == ("n3", "a long description")


def test_tombstone_stops_a_late_insert_from_resurrecting_a_key(tmp_path: Path) -> None:
    spec = spec_map()[TABLE]
    key = str(uuid.uuid4())
    land, wh = tmp_path / "l", tmp_path / "w"
    write_file(land, TABLE, cdc_name(2), spec.column_names, [OutRow("D", "", seq(2), {"tenant_id": TENANT, "id": key})])
    build(str(land), wh, with_iceberg=False, with_gold=False, specs=[spec])
    late = OutRow("I", "", seq(1), _row(key, "x", None, 100, True, 1))
    write_file(land, TABLE, cdc_name(1), spec.column_names, [late])
    build(str(land), wh, with_iceberg=False, with_gold=False, specs=[spec])
    assert _silver(wh, spec.column_names) == {}
    con = duckdb.connect(str(wh / "lake.duckdb"), read_only=True)
    assert con.execute(f'SELECT _deleted, _change_seq FROM silver_state."{TABLE}"').fetchall() == [(True, seq(2))]
    con.close()
