"""PostgreSQL backend that resolves the local server lazily and fails in one sentence.

Why a backend: settings must be importable without a running server (``manage.py help``,
``dbserver start``, a wheel being built), yet with no ``DATABASE_URL`` the host and port are
only known once the embedded server runs. Django's public extension points of its
PostgreSQL wrapper do exactly that job: :meth:`get_connection_params` adds the local
server's host and port (starting it unless ``LAKEHOUSE_NO_AUTOSTART``), and
:meth:`get_new_connection` turns a refused connection into
:class:`project.database.DatabaseUnavailable`, which ``manage.py`` prints as one sentence.
"""

from __future__ import annotations

from typing import Any

import psycopg2
from django.db.backends.postgresql import base

from project.database import local_connection_params, unavailable


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        return local_connection_params(super().get_connection_params())

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except psycopg2.OperationalError as exc:
            raise unavailable(conn_params, exc) from exc
