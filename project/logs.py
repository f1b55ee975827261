"""Command output through stdlib ``logging``: ``--verbosity`` becomes a log level.

Library code logs with ``logging.getLogger(__name__)`` and never takes a callback to
report progress. A management command wraps its work in :func:`command_logging` with its
``verbosity`` (0 quiet, 1 normal, 2+ debug) and its output stream, so those records reach
the user as bare lines and the previous logging set-up is restored afterwards (a command
run by ``call_command`` inside tests or another command leaves nothing behind). On a terminal
the records are written with ``tqdm.write``, so they do not tear progress bars.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TextIO

from django.core.management.base import OutputWrapper
from tqdm import tqdm

#: ``--verbosity`` -> the level of the project's loggers.
VERBOSITY_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
#: The top-level packages whose loggers a command shows.
PROJECT_LOGGERS = ("project", "devdb", "tenancy", "rls", "models_app", "seeding", "analytics", "cdc", "lakehouse")


def level_for(verbosity: int) -> int:
    return VERBOSITY_LEVELS.get(verbosity, logging.DEBUG)


class CommandStream:
    """A command's ``self.stderr`` (an ``OutputWrapper``) as a plain text stream.

    ``OutputWrapper.write`` appends a line ending and a colour to each call; tqdm redraws
    with ``\\r`` and no ending, so it needs the stream as is. Only the wrapper's public
    ``write(msg, style_func, ending)``, ``flush`` and ``isatty`` are used.
    """

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, style_func=str, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


class _TqdmHandler(logging.StreamHandler):
    """Writes each record with ``tqdm.write`` (above the bars) instead of a raw ``write``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)


def _isatty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def command_logging(verbosity: int, stream: TextIO | CommandStream | None = None) -> Iterator[None]:
    """Within the block, the project's records at ``verbosity``'s level go to ``stream`` (default stderr)."""
    stream = stream or sys.stderr
    handler = _TqdmHandler(stream) if _isatty(stream) else logging.StreamHandler(stream)
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


__all__ = ["VERBOSITY_LEVELS", "CommandStream", "command_logging", "level_for"]
