"""Command output through stdlib ``logging``: ``--verbosity`` becomes a log level.

Library code logs with ``logging.getLogger(__name__)`` and never takes a callback to
report progress. A management command wraps its work in :func:`command_logging` with its
``verbosity`` (0 quiet, 1 normal, 2+ debug) and its output stream, so those records reach
the user as bare lines and the previous logging set-up is restored afterwards (a command
run by ``call_command`` inside tests or another command leaves nothing behind).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: ``--verbosity`` -> the level of the project's loggers.
VERBOSITY_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
#: The top-level packages whose loggers a command shows.
PROJECT_LOGGERS = ("project", "devdb", "tenancy", "rls", "models_app", "seeding", "analytics", "cdc", "lakehouse")


def level_for(verbosity: int) -> int:
    return VERBOSITY_LEVELS.get(verbosity, logging.DEBUG)


@contextmanager
def command_logging(verbosity: int, stream: TextIO | None = None) -> Iterator[None]:
    """Within the block, the project's records at ``verbosity``'s level go to ``stream`` (default stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = []
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(level_for(verbosity))
        logger.propagate = False  # not twice (the root handler of settings.LOGGING)
    try:
        yield
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


__all__ = ["VERBOSITY_LEVELS", "command_logging", "level_for"]
