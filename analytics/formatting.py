"""Turn query results into JSON-ready values and readable fixed-width tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def json_value(value: Any) -> Any:
    """A JSON-serialisable form: numbers stay numbers, dates and ids become strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def json_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def cell(value: Any) -> str:
    """How one value reads in a table: thousands separators, decimals as the query rounded them."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        # The query chose the scale (round(x, 2), round(x, 4)): keep it.
        places = max(0, -int(value.as_tuple().exponent))
        return f"{value:,.{places}f}"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table; numbers right-aligned, text left-aligned."""
    if not rows:
        return "(no rows)"
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    right = [any(_numeric(row[i]) for row in rows) for i in range(len(columns))]
    header = "  ".join(col.rjust(w) if r else col.ljust(w) for col, w, r in zip(columns, widths, right, strict=True))
    rule = "  ".join("-" * w for w in widths)
    lines = [header, rule]
    for row in cells:
        lines.append("  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(row, widths, right, strict=True)))
    return "\n".join(line.rstrip() for line in lines)
