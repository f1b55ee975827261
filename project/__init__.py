"""Composition root: settings, URLs, and the wiring between Django and PostgreSQL.

Importing it (or ``project.settings``) starts nothing and connects nowhere: the local
server is found, and started on demand, by the database backend :mod:`project.db_backend`
when the first connection opens.
"""

from project.database import (
    DatabaseUnavailable,
    connect,
    current_database_name,
    local_server,
    role_credentials,
    role_url,
    server_address,
    uses_local_server,
)
from project.logs import command_logging

__all__ = [
    "DatabaseUnavailable", "command_logging", "connect", "current_database_name", "local_server",
    "role_credentials", "role_url", "server_address", "uses_local_server",
]
