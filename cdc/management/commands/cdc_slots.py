"""``manage.py cdc_slots``: replication slots, the WAL each retains, and a warning when too much."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.slots import drop_slot, list_slots

DEFAULT_WARN_MB = 512


def human(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class Command(BaseCommand):
    help = ("List replication slots with retained WAL and status (warning above a threshold); "
            "--drop NAME removes one.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drop", metavar="NAME", default=None, help="drop this slot")
        parser.add_argument("--warn-mb", type=int, default=DEFAULT_WARN_MB,
                            help=f"warn when a slot retains more WAL than this (default {DEFAULT_WARN_MB} MB)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["drop"]:
            try:
                dropped = drop_slot(options["drop"], wait_seconds=5)
            except Exception as exc:
                raise CommandError(f"Cannot drop slot {options['drop']!r}: {str(exc).strip()}") from exc
            if not dropped:
                raise CommandError(f"There is no slot named {options['drop']!r}.")
            self.stdout.write(f"dropped slot {options['drop']}")
            return
        threshold = options["warn_mb"] * 1024 * 1024
        slots = list_slots()
        rows = []
        for slot in slots:
            entry = slot.as_dict()
            warnings = []
            if slot.retained_bytes is not None and slot.retained_bytes > threshold:
                warnings.append(f"retains {human(slot.retained_bytes)} of WAL (> {options['warn_mb']} MB)")
            if slot.wal_status in ("unreserved", "lost"):
                warnings.append(f"wal_status={slot.wal_status}: "
                                + ("invalidated; drop it, create a new slot and reload fully"
                                   if slot.wal_status == "lost" else "about to be invalidated"))
            if not slot.active:
                warnings.append("inactive (no consumer connected)")
            entry["warnings"] = warnings
            rows.append(entry)
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("no replication slots")
            return
        self.stdout.write(f"{'slot':<32} {'plugin':<14} {'database':<24} {'active':<6} {'retained':>10} "
                          f"{'wal_status':<10} confirmed")
        for r in rows:
            self.stdout.write(
                f"{r['slot_name']:<32} {r['plugin'] or '-':<14} {r['database'] or '-':<24} "
                f"{'yes' if r['active'] else 'no':<6} {human(r['retained_bytes']):>10} "
                f"{r['wal_status'] or '-':<10} {r['confirmed_flush_lsn'] or '-'}")
            for warning in r["warnings"]:
                self.stderr.write(self.style.WARNING(f"  WARNING {r['slot_name']}: {warning}"))
