"""``--verbosity`` as log levels for the seeding commands.

The seeding modules log through ``logging.getLogger(__name__)`` (all under the ``seeding``
logger) and never write to a stream themselves. A command turns its ``--verbosity`` into a
level and attaches one handler to the ``seeding`` logger for the duration of its run, so
nothing is left configured after ``call_command`` returns. On a terminal the handler writes
through ``tqdm.write`` so that log lines do not tear the progress bars.

(A project-wide helper for this is planned in ``project/``; when it lands this module
should become a thin call to it.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.core.management.base import OutputWrapper
from tqdm import tqdm

__all__ = ["CommandStream", "level_for", "verbosity_logging"]

#: Django's ``--verbosity`` 0..3 as a log level of the ``seeding`` logger.
LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}
ROOT = "seeding"


def level_for(verbosity: int) -> int:
    return LEVELS.get(max(0, min(3, verbosity)), logging.INFO)


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
def verbosity_logging(verbosity: int, stream: IO[str]) -> Iterator[logging.Logger]:
    """Send the ``seeding`` logger's records at ``--verbosity``'s level to ``stream`` while inside."""
    logger = logging.getLogger(ROOT)
    handler: logging.Handler = _TqdmHandler(stream) if _isatty(stream) else logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    previous = (logger.level, logger.propagate)
    logger.setLevel(level_for(verbosity))
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]
