"""Django settings: declarations only. Importing them starts nothing and connects nowhere.

Database wiring lives in :mod:`project.database` (built from the environment alone); the
local server is found or started by :mod:`project.db_backend` when a connection opens.
Each app reads its own settings at call time through its ``conf`` module
(:mod:`tenancy.conf`, :mod:`rls.conf`).
"""

from __future__ import annotations

import os

from project.database import BASE_DIR, django_database, resolver_role_name, role_credentials

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "True").lower() in {"1", "true", "yes"}
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,.localhost,testserver").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pgtrigger",
    "project",
    "rls",
    "tenancy",
    "models_app",
    "seeding",
    "analytics",
    "cdc",
    "lakehouse",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenancy.middleware.TenantMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ``default`` is the unprivileged runtime role; ``owner`` exists only to run migrations
# (``python manage.py migrate --database owner``; migrating through another alias is refused).
DATABASES = {
    "default": django_database("app", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))),
    "owner": django_database("owner"),
}

#: Role names for ``rls`` (grants, checks, audit). Passwords stay in project.database.
LAKEHOUSE_ROLES = {key: creds.name for key, creds in role_credentials().items()}
LAKEHOUSE_ROLES["resolver"] = resolver_role_name()

#: The alias whose role owns the tables: the only one ``migrate`` accepts (rls.conf).
RLS_MIGRATION_DATABASE = "owner"

#: Paths where the tenant middleware does not require a tenant (admin picks one per session).
TENANT_EXEMPT_PATHS = ["/admin/", "/healthz", "/static/"]
#: Host names that belong to the platform, not to a tenant: without X-Tenant they get a 400.
TENANT_PLATFORM_HOSTS = ["localhost", "127.0.0.1", "testserver", "django", "0.0.0.0"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
