"""Command-line options shared by every seeding command, validated into engine objects.

Bad values raise :class:`django.core.management.base.CommandError` with a sentence that
says what is allowed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError

from seeding import distributions as D
from seeding.engine import DEFAULT_BATCH_SIZE, default_workers
from seeding.world import WorldSpec, default_window

MIN_DAYS, MAX_DAYS = 7, 3650
MAX_WORKERS = 64
MIN_BATCH, MAX_BATCH = 100, 1_000_000


def add_world_arguments(parser: Any) -> None:
    parser.add_argument("--tenants", default=None, help=f"number of tenants, 1-{D.MAX_TENANTS} "
                        f"(default {D.DEFAULT_TENANTS}: the standard mix of tenant profiles)")
    parser.add_argument("--scale", default="small", help="small | medium | large (default small)")
    parser.add_argument("--start-date", dest="start_date", default=None,
                        help="first day of the history, YYYY-MM-DD (default: --days before today)")
    parser.add_argument("--days", default=None, help=f"length of the history in days (default {D.DEFAULT_DAYS})")
    parser.add_argument("--seed", default=None, help="random seed, an integer >= 0 (default 1)")


def add_run_arguments(parser: Any) -> None:
    parser.add_argument("--clean", action="store_true", help="delete existing generated data first")
    parser.add_argument("--tenant", default=None, help="only this tenant (slug)")
    parser.add_argument("--workers", default=None, help="tenants seeded in parallel (default: CPU count)")
    parser.add_argument("--batch-size", dest="batch_size", default=None,
                        help=f"rows per COPY batch, {MIN_BATCH}-{MAX_BATCH} (default {DEFAULT_BATCH_SIZE})")


def _int(options: dict[str, Any], key: str, default: int, low: int, high: int, what: str) -> int:
    raw = options.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise CommandError(f"--{key.replace('_', '-')} must be {what} between {low} and {high}, not {raw!r}") from None
    if not low <= value <= high:
        raise CommandError(f"--{key.replace('_', '-')} must be {what} between {low} and {high}, not {value}")
    return value


def world_from_options(options: dict[str, Any], today: dt.date | None = None) -> WorldSpec:
    scale = options.get("scale") or "small"
    if scale not in D.SCALES:
        raise CommandError(f"--scale must be one of {', '.join(D.SCALES)}, not {scale!r}")
    tenants = _int(options, "tenants", D.DEFAULT_TENANTS, 1, D.MAX_TENANTS, "a whole number")
    days = _int(options, "days", D.DEFAULT_DAYS, MIN_DAYS, MAX_DAYS, "a whole number of days")
    seed = _int(options, "seed", 1, 0, 2**32 - 1, "an integer")
    today = today or dt.datetime.now(dt.UTC).date()
    start_raw = options.get("start_date")
    if start_raw is None:
        window = default_window(days, today)
    else:
        try:
            start = dt.date.fromisoformat(str(start_raw))
        except ValueError:
            raise CommandError(f"--start-date must be a date written YYYY-MM-DD, not {start_raw!r}") from None
        if start + dt.timedelta(days=days) > today:
            latest = today - dt.timedelta(days=days)
            raise CommandError(f"--start-date {start} plus --days {days} ends after today ({today}): history cannot "
                               f"be in the future; use a start date on or before {latest} or fewer days")
        window = D.Window(start=start, days=days)
    return WorldSpec(seed=seed, scale=scale, tenants=tenants, window=window)


def workers_from_options(options: dict[str, Any]) -> int:
    return _int(options, "workers", default_workers(), 1, MAX_WORKERS, "a whole number")


def batch_size_from_options(options: dict[str, Any], default: int = DEFAULT_BATCH_SIZE) -> int:
    return _int(options, "batch_size", default, MIN_BATCH, MAX_BATCH, "a whole number")
