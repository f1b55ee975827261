#!/usr/bin/env python
"""Django's command-line utility for this project.

A database that cannot be reached ends any command with one sentence (where it tried and
what to do, from :class:`project.database.DatabaseUnavailable`) and exit status 1, not a
driver traceback.
"""

import os
import sys

from django.core.management import execute_from_command_line

from project.database import DatabaseUnavailable


def unavailable_reason(exc: BaseException) -> str | None:
    """The sentence of a :class:`~project.database.DatabaseUnavailable` in ``exc``'s chain, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DatabaseUnavailable):
            return str(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        sys.stderr.write(f"Error: {reason}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
