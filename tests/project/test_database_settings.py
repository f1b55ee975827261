"""``DATABASES`` entries come from the environment alone; every way of configuring a server keeps working."""

from __future__ import annotations

import pytest

from project.database import ENGINE, django_database, role_credentials

EXTERNAL = ("DATABASE_URL", "DATABASE_HOST", "DATABASE_OWNER_URL", "DATABASE_REPLICATION_URL", "DATABASE_ADMIN_URL",
            "DATABASE_NAME", "DATABASE_PORT")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in EXTERNAL:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_database_url_is_used_as_given(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://someone:pw@db.example:6543/shop")
    entry = django_database("app", conn_max_age=30)
    assert (entry["ENGINE"], entry["HOST"], entry["PORT"], entry["NAME"], entry["USER"], entry["CONN_MAX_AGE"]) == \
        (ENGINE, "db.example", 6543, "shop", "someone", 30)
    owner = django_database("owner")  # derived from DATABASE_URL with the owner's credentials
    assert (owner["HOST"], owner["NAME"], owner["USER"]) == ("db.example", "shop", role_credentials()["owner"].name)


def test_database_host_is_the_compose_path(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_HOST", "postgres")
    clean_env.setenv("DATABASE_NAME", "compose_db")
    entry = django_database("app")
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("postgres", 5432, "compose_db")


def test_the_local_server_is_left_to_the_backend(clean_env: pytest.MonkeyPatch) -> None:
    entry = django_database("app")
    assert (entry["ENGINE"], entry["HOST"], entry["PORT"]) == (ENGINE, "", "")
    assert entry["USER"] == role_credentials()["app"].name
