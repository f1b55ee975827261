"""The main job of ``make demo``: a seeded world, then the lake proven against it.

Safe to run again: an existing world is kept (and the command says so) unless ``--clean``
asks to rebuild it; ``make reseed`` and ``DEMO_CLEAN=1 make demo`` pass ``--clean``. The lake
part runs one local DMS task into ``<lake>/landing`` (full load the first time, CDC after),
a few seconds of live activity, the task again to drain it, ``lake_build`` and
``lake_verify``: Silver equals the source and the Gold metrics equal PostgreSQL's.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cdc.landing import load_state, open_store
from cdc.slots import DEFAULT_SLOT, drop_slot, list_slots
from project.database import current_database_name
from seeding.engine import existing_tenants

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = ("Seed a small multi-tenant history under tenant contexts (kept if one exists; --clean rebuilds it), "
            "print the seed report, then land it as DMS would, build the lake and prove it equals the source.")
    verbosity = 1
    slot = DEFAULT_SLOT

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--clean", action="store_true",
                            help="delete the existing world and lake and start again (default: keep them)")
        parser.add_argument("--lake", default="lake", help="folder of the lake demo (default ./lake)")
        parser.add_argument("--no-lake", action="store_true", help="seed only; skip the DMS task and the lake")
        parser.add_argument("--slot", default=DEFAULT_SLOT,
                            help=f"replication slot of the demo's DMS task (default {DEFAULT_SLOT})")
        parser.add_argument("--simulate-seconds", type=float, default=5.0,
                            help="seconds of live activity between the full load and the CDC drain (default 5)")

    def handle(self, *args: Any, **options: Any) -> None:
        lake = Path(options["lake"])
        self.slot = options["slot"]
        self.verbosity = options["verbosity"]
        if options["clean"] and not options["no_lake"]:
            self._forget_lake(lake, "--clean")
        tenants = existing_tenants()
        if tenants and not options["clean"]:
            self.stdout.write(
                f"Keeping the existing world of {len(tenants)} tenants; "
                "run `make reseed` (or DEMO_CLEAN=1 make demo) to delete it and seed a new one.")
        else:
            self._run("seed_all", scale=options["scale"], seed=options["seed"], clean=options["clean"])
        self._run("seed_report")
        if not options["no_lake"]:
            self._lake(lake, options["simulate_seconds"])

    def _run(self, name: str, **options: Any) -> None:
        """A step of the demo, printing into this command's own streams at its verbosity."""
        call_command(name, verbosity=self.verbosity, stdout=self.stdout, stderr=self.stderr, **options)

    def _slot_here(self) -> bool:
        """Whether this database has the task's slot (slot names are cluster-wide: another
        database's slot of the same name is not ours to drop)."""
        database = current_database_name()
        return any(slot.slot_name == self.slot and slot.database == database for slot in list_slots())

    def _forget_lake(self, lake: Path, why: str) -> None:
        """Drop the task's slot and its folder: a new world needs a new full load."""
        if self._slot_here():
            drop_slot(self.slot)
        if lake.exists():
            shutil.rmtree(lake)
        self.stdout.write(f"{why}: dropped the DMS task's slot and {lake}/; the lake starts with a new full load.")

    def _lake(self, lake: Path, simulate_seconds: float) -> None:
        landing, warehouse = lake / "landing", lake / "warehouse"
        if landing.exists() and load_state(open_store(landing)) and not self._slot_here():
            self._forget_lake(lake, f"the slot {self.slot} of {landing} is gone")
        self.stdout.write("\n== The local DMS task: full load (first run) or CDC since the last run")
        self._run("dms_task", target=str(landing), slot=self.slot, once=True)
        if simulate_seconds > 0:
            self.stdout.write(f"\n== {simulate_seconds:g} s of live activity under tenant contexts")
            self._run("simulate_activity", duration=simulate_seconds / 60, rate=3000)
            self.stdout.write("\n== The DMS task again: drain the changes into CDC files")
            self._run("dms_task", target=str(landing), slot=self.slot, once=True)
        self.stdout.write("\n== lake_build: Bronze (the files) -> Silver (current state, Iceberg) -> Gold")
        self._run("lake_build", landing=str(landing), warehouse=str(warehouse))
        self.stdout.write("\n== lake_verify: Silver equals the source, Gold equals PostgreSQL")
        self._run("lake_verify", landing=str(landing), warehouse=str(warehouse), no_build=True,
                  html=str(lake / "lake.html"))
        self._run("report", out=str(lake / "report.html"))
        self.stdout.write(
            f"\nThe lake: landing files (DMS layout) in {landing}/, the warehouse (DuckDB + Iceberg) in "
            f"{warehouse}/, the report in {lake / 'report.html'} and the lake beside the source in "
            f"{lake / 'lake.html'}.")
