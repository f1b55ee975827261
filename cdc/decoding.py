"""Parsing the text that PostgreSQL's ``test_decoding`` plugin emits (what AWS DMS reads).

One message per line::

    BEGIN 4711
    table public.models_app_customer: INSERT: id[uuid]:'0190…' email[character varying]:'o''hara@x' …
    table public.models_app_order: UPDATE: old-key: tenant_id[uuid]:'…' id[uuid]:'…' new-tuple: …
    table public.models_app_orderitem: DELETE: tenant_id[uuid]:'…' id[uuid]:'…'
    COMMIT 4711 (at 2025-01-01 12:00:00.123456+00)

Values are printed by the column type's output function. Integers, floats, numeric and oid
come bare; booleans as ``true``/``false``; bit strings as ``B'0101'``; everything else
(uuid, text, jsonb, inet, dates, timestamps, arrays) single-quoted with ``'`` doubled; NULL
as ``null``; a TOASTed value an UPDATE did not change as ``unchanged-toast-datum`` (the
consumer must keep the previous value). Column names are quoted like SQL identifiers when
needed and type names may contain spaces and ``[]``. Values stay text: they are exactly
what ``SELECT col::text`` returns, which is what a CSV file holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class DecodingError(ValueError):
    """A line does not follow the test_decoding format."""


class _UnchangedToast:
    """Marker for a TOASTed column the UPDATE did not change (its value was not logged)."""

    _instance: _UnchangedToast | None = None

    def __new__(cls) -> _UnchangedToast:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCHANGED_TOAST"


UNCHANGED_TOAST = _UnchangedToast()
TOAST_TOKEN = "unchanged-toast-datum"

Value = str | None | _UnchangedToast


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    value: Value


@dataclass
class Change:
    """One row change. ``columns`` is the new row (INSERT/UPDATE) or the old key (DELETE)."""

    schema: str
    table: str
    op: str  # "I", "U", "D" or "T" (truncate)
    columns: list[Column] = field(default_factory=list)
    old_key: list[Column] = field(default_factory=list)

    def values(self) -> dict[str, Value]:
        return {column.name: column.value for column in self.columns}


@dataclass(frozen=True)
class Begin:
    xid: int | None


@dataclass(frozen=True)
class Commit:
    xid: int | None
    timestamp: dt.datetime | None


Message = Begin | Commit | Change

_OPS = {"INSERT": "I", "UPDATE": "U", "DELETE": "D", "TRUNCATE": "T"}


def parse_line(line: str) -> Message | None:
    """Parse one message; ``None`` for messages a consumer ignores (logical ``message:``)."""
    if line.startswith("BEGIN"):
        rest = line[5:].strip()
        return Begin(int(rest) if rest else None)
    if line.startswith("COMMIT"):
        return _parse_commit(line[6:].strip())
    if line.startswith("table "):
        return _parse_table(line)
    if line.startswith("message:"):
        return None
    raise DecodingError(f"unrecognised test_decoding message: {line[:120]!r}")


def _parse_commit(rest: str) -> Commit:
    xid: int | None = None
    timestamp: dt.datetime | None = None
    at = rest.find("(at ")
    head = rest[:at].strip() if at >= 0 else rest
    if head:
        xid = int(head)
    if at >= 0:
        if not rest.endswith(")"):
            raise DecodingError(f"bad COMMIT timestamp: {rest!r}")
        timestamp = parse_timestamp(rest[at + 4:-1])
    return Commit(xid, timestamp)


def parse_timestamp(text: str) -> dt.datetime:
    """``2025-01-01 12:00:00.123456+00`` (PostgreSQL ISO output) → aware datetime."""
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise DecodingError(f"bad timestamp {text!r}") from exc
    if value.tzinfo is None:
        raise DecodingError(f"timestamp without time zone: {text!r}")
    return value


def _read_identifier(line: str, pos: int, stops: str) -> tuple[str, int]:
    """An SQL identifier, quoted (``"a""b"``) or bare up to one of ``stops``."""
    if pos < len(line) and line[pos] == '"':
        out = []
        pos += 1
        while True:
            end = line.find('"', pos)
            if end < 0:
                raise DecodingError(f"unterminated quoted identifier in {line[:120]!r}")
            out.append(line[pos:end])
            if end + 1 < len(line) and line[end + 1] == '"':
                out.append('"')
                pos = end + 2
                continue
            return "".join(out), end + 1
    end = pos
    while end < len(line) and line[end] not in stops:
        end += 1
    if end == pos:
        raise DecodingError(f"empty identifier at {pos} in {line[:120]!r}")
    return line[pos:end], end


def _parse_table(line: str) -> Change:
    pos = 6
    schema, pos = _read_identifier(line, pos, ".")
    if line[pos:pos + 1] != ".":
        raise DecodingError(f"expected schema.table in {line[:120]!r}")
    table, pos = _read_identifier(line, pos + 1, ":")
    if line[pos:pos + 2] != ": ":
        raise DecodingError(f"expected ': ' after table name in {line[:120]!r}")
    pos += 2
    colon = line.find(":", pos)
    if colon < 0:
        raise DecodingError(f"missing operation in {line[:120]!r}")
    action = line[pos:colon]
    if action not in _OPS:
        raise DecodingError(f"unknown operation {action!r} in {line[:120]!r}")
    change = Change(schema=schema, table=table, op=_OPS[action])
    pos = colon + 1
    if change.op == "T":
        return change  # "(no-flags)", "restart_seqs", "cascade": nothing a row consumer needs
    rest = line[pos:].lstrip(" ")
    if rest == "(no-tuple-data)":
        return change  # a DELETE/UPDATE on a table without replica identity
    pos = len(line) - len(rest)
    if change.op == "U" and line.startswith("old-key:", pos):
        old, pos = _parse_columns(line, pos + len("old-key:"), until="new-tuple:")
        change.old_key = old
        if not line.startswith("new-tuple:", pos):
            raise DecodingError(f"expected new-tuple after old-key in {line[:120]!r}")
        pos += len("new-tuple:")
    change.columns, _ = _parse_columns(line, pos, until=None)
    return change


def _parse_columns(line: str, pos: int, until: str | None) -> tuple[list[Column], int]:
    columns: list[Column] = []
    length = len(line)
    while True:
        while pos < length and line[pos] == " ":
            pos += 1
        if pos >= length or (until is not None and line.startswith(until, pos)):
            return columns, pos
        name, pos = _read_identifier(line, pos, "[")
        if line[pos:pos + 1] != "[":
            raise DecodingError(f"expected '[' after column {name!r} in {line[:120]!r}")
        type_end = line.find("]:", pos + 1)
        if type_end < 0:
            raise DecodingError(f"unterminated type of column {name!r} in {line[:120]!r}")
        # Array types end in "[]" ("integer[]]:"): the first "]:" is still the end.
        type_name = line[pos + 1:type_end]
        pos = type_end + 2
        value, pos = _read_value(line, pos)
        columns.append(Column(name, type_name, value))


def _read_value(line: str, pos: int) -> tuple[Value, int]:
    if line.startswith("'", pos):
        return _read_quoted(line, pos)
    if line.startswith("B'", pos):
        text, end = _read_quoted(line, pos + 1)
        return text, end
    end = line.find(" ", pos)
    end = len(line) if end < 0 else end
    token = line[pos:end]
    if token == "null":
        return None, end
    if token == TOAST_TOKEN:
        return UNCHANGED_TOAST, end
    if not token:
        raise DecodingError(f"missing value at {pos} in {line[:120]!r}")
    return token, end


def _read_quoted(line: str, pos: int) -> tuple[str, int]:
    out = []
    pos += 1
    while True:
        end = line.find("'", pos)
        if end < 0:
            raise DecodingError(f"unterminated quoted value in {line[:120]!r}")
        out.append(line[pos:end])
        if line.startswith("''", end):
            out.append("'")
            pos = end + 2
            continue
        return "".join(out), end + 1
