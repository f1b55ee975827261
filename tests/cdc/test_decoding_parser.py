"""The test_decoding parser on hand-written lines: every value form the plugin prints."""

from __future__ import annotations

import datetime as dt

import pytest

from cdc.decoding import UNCHANGED_TOAST, Begin, Change, Commit, DecodingError, parse_line


def test_insert_with_every_value_form() -> None:
    line = (
        "table public.models_app_event: INSERT: id[uuid]:'01a2-x' quantity[integer]:3 price[numeric]:-12.50 "
        "ok[boolean]:true gone[boolean]:false data[jsonb]:'{\"q\": \"men''s \\\"shoes\\\"\"}' "
        "ip[inet]:'2001:db8::42' at[timestamp with time zone]:'2025-01-01 12:00:00.5+00' day[date]:'2025-01-02' "
        "note[text]:'it''s a ''quote'' and a space' empty[text]:'' missing[character varying]:null "
        "tags[text[]]:'{a,\"b c\"}' bits[bit varying]:B'0101' big[text]:unchanged-toast-datum"
    )
    change = parse_line(line)
    assert isinstance(change, Change)
    assert (change.schema, change.table, change.op) == ("public", "models_app_event", "I")
    values = change.values()
    assert values == {
        "id": "01a2-x", "quantity": "3", "price": "-12.50", "ok": "true", "gone": "false",
        "data": '{"q": "men\'s \\"shoes\\""}', "ip": "2001:db8::42", "at": "2025-01-01 12:00:00.5+00",
        "day": "2025-01-02", "note": "it's a 'quote' and a space", "empty": "", "missing": None,
        "tags": '{a,"b c"}', "bits": "0101", "big": UNCHANGED_TOAST,
    }
    types = {c.name: c.type for c in change.columns}
    assert types["at"] == "timestamp with time zone"
    assert types["tags"] == "text[]"
    assert types["missing"] == "character varying"


def test_empty_string_and_null_stay_distinct() -> None:
    change = parse_line("table public.t: INSERT: a[text]:'' b[text]:null c[text]:'null'")
    assert change.values() == {"a": "", "b": None, "c": "null"}


def test_quoted_identifiers_and_newlines_in_values() -> None:
    change = parse_line('table "my schema"."Odd ""T""": INSERT: "col one"[text]:\'line1\nline2\' x[int4]:1')
    assert (change.schema, change.table) == ("my schema", 'Odd "T"')
    assert change.values() == {"col one": "line1\nline2", "x": "1"}


def test_update_with_old_key_and_delete_and_no_tuple() -> None:
    update = parse_line("table public.o: UPDATE: old-key: tenant_id[uuid]:'t' id[uuid]:'1' new-tuple: "
                        "tenant_id[uuid]:'t' id[uuid]:'2' status[character varying]:'paid'")
    assert update.op == "U"
    assert [(c.name, c.value) for c in update.old_key] == [("tenant_id", "t"), ("id", "1")]
    assert update.values() == {"tenant_id": "t", "id": "2", "status": "paid"}
    plain = parse_line("table public.o: UPDATE: tenant_id[uuid]:'t' id[uuid]:'2'")
    assert plain.old_key == [] and plain.values() == {"tenant_id": "t", "id": "2"}
    delete = parse_line("table public.o: DELETE: tenant_id[uuid]:'t' id[uuid]:'1'")
    assert delete.op == "D" and delete.values() == {"tenant_id": "t", "id": "1"}
    blind = parse_line("table public.o: DELETE: (no-tuple-data)")
    assert blind.op == "D" and blind.columns == []
    assert parse_line("table public.o: TRUNCATE: (no-flags)").op == "T"


def test_begin_and_commit() -> None:
    assert parse_line("BEGIN 4711") == Begin(4711)
    commit = parse_line("COMMIT 4711 (at 2025-03-04 05:06:07.123456+00)")
    assert isinstance(commit, Commit)
    assert commit.xid == 4711
    assert commit.timestamp == dt.datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=dt.UTC)
    assert parse_line("COMMIT 5").timestamp is None
    assert parse_line("message: transactional: 1 prefix: x, sz: 1 content:y") is None


@pytest.mark.parametrize("line", [
    "table public.o: UPSERT: id[uuid]:'1'",
    "table public.o: INSERT: id[uuid]:'unterminated",
    "table public.o: INSERT: id[uuid:'1'",
    "table public.o INSERT: id[uuid]:'1'",
    "something else",
    "COMMIT 1 (at yesterday)",
])
def test_malformed_lines_raise(line: str) -> None:
    with pytest.raises(DecodingError):
        parse_line(line)
