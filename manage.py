#!/usr/bin/env python
"""Django's command-line utility for this project."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "dbserver":
        # ``dbserver`` manages the local server itself: importing settings must not start it.
        os.environ.setdefault("LAKEHOUSE_NO_AUTOSTART", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
