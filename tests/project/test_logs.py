"""``--verbosity`` maps to log levels, and a command leaves the logging set-up as it found it."""

from __future__ import annotations

import io
import logging

import pytest

from project.logs import command_logging


@pytest.mark.parametrize(("verbosity", "shown", "hidden"), [
    (0, ["warning"], ["info", "debug"]),
    (1, ["warning", "info"], ["debug"]),
    (2, ["warning", "info", "debug"], []),
])
def test_verbosity_decides_which_records_a_command_shows(verbosity: int, shown: list[str],
                                                         hidden: list[str]) -> None:
    logger = logging.getLogger("seeding.some_module")
    stream = io.StringIO()
    with command_logging(verbosity, stream):
        logger.warning("warning")
        logger.info("info")
        logger.debug("debug")
    lines = stream.getvalue().splitlines()
    assert all(text in lines for text in shown) and not any(text in lines for text in hidden), lines


def test_the_previous_setup_is_restored() -> None:
    logger = logging.getLogger("project")
    before = (logger.level, logger.propagate, list(logger.handlers))
    with command_logging(2, io.StringIO()):
        assert logger.level == logging.DEBUG and not logger.propagate
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
