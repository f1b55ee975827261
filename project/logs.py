"""Command output through stdlib ``logging``: ``--verbosity`` becomes a log level.

Library code logs with ``logging.getLogger(__name__)`` and never takes a callback to
report progress; a management command calls :func:`configure_command_logging` once with
its ``verbosity`` so those messages reach the terminal (0 quiet, 1 normal, 2+ debug).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

#: ``--verbosity`` -> the level of the project's loggers.
VERBOSITY_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
#: The top-level packages whose loggers a command shows.
PROJECT_LOGGERS = ("project", "devdb", "tenancy", "rls", "models_app", "seeding", "analytics", "cdc", "lakehouse")
HANDLER_NAME = "lakehouse-command"


def level_for(verbosity: int) -> int:
    return VERBOSITY_LEVELS.get(verbosity, logging.DEBUG)


def configure_command_logging(verbosity: int, stream: TextIO | None = None) -> None:
    """Send the project's log records at ``verbosity``'s level to ``stream`` (stderr), as bare messages.

    Idempotent: calling it again (``call_command`` inside a command) replaces the handler
    instead of printing every line twice.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level_for(verbosity))
        logger.propagate = False


__all__ = ["VERBOSITY_LEVELS", "configure_command_logging", "level_for"]
