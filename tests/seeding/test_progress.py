"""Progress as a user sees it: bars on a terminal, log lines in a pipe, nothing at ``--verbosity 0``."""

from __future__ import annotations

import io
import logging
from io import StringIO

from django.core.management import call_command

from seeding.progress import BarProgress, LogProgress, NullProgress, for_command
from tests.seeding.conftest import TINY


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_progress_writes_periodic_and_per_table_lines(caplog):
    progress = LogProgress(every=0.0)
    with caplog.at_level(logging.INFO, logger="seeding"):
        progress.start_tenant("acme", 300)
        progress.advance("acme", "models_app_customer", 100, 0.1)
        progress.advance("acme", "models_app_customer", 100, 0.1)
        progress.advance("acme", "models_app_order", 100, 0.1)
        progress.finish_tenant("acme", "done")
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "acme: seeding (~300 rows)"
    assert "  acme: customer, 200 rows so far (67%)" in lines
    assert "  acme: customer 200 rows (1,000 rows/s)" in lines
    assert "  acme: order 100 rows (1,000 rows/s)" in lines and lines[-1] == "acme: done"


def test_for_command_follows_verbosity_and_the_terminal():
    assert isinstance(for_command(0, FakeTerminal()), NullProgress)
    assert isinstance(for_command(1, FakeTerminal()), BarProgress)
    assert isinstance(for_command(1, StringIO()), LogProgress)


def test_seed_all_shows_progress_by_verbosity(seeding_db):
    quiet, piped, terminal = StringIO(), StringIO(), FakeTerminal()
    call_command("seed_all", verbosity=0, stdout=StringIO(), stderr=quiet, workers=1, **TINY)
    assert quiet.getvalue() == ""
    call_command("seed_all", verbosity=1, stdout=StringIO(), stderr=piped, workers=1, clean=True, **TINY)
    assert "\r" not in piped.getvalue() and ": seeding (~" in piped.getvalue()
    assert "events" in piped.getvalue() and "rows/s" in piped.getvalue()
    call_command("seed_all", verbosity=1, stdout=StringIO(), stderr=terminal, workers=1, clean=True, **TINY)
    assert "\r" in terminal.getvalue() and "rows in" in terminal.getvalue()
