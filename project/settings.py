"""Django settings: declarations only. Importing them starts nothing and connects nowhere.

Database wiring lives in :mod:`project.database` (built from the environment alone); the
local server is found or started by :mod:`project.db_backend` when a connection opens.
Each app reads its own settings at call time through its ``conf`` module
(:mod:`tenancy.conf`, :mod:`rls.conf`).
"""

from __future__ import annotations

import os

from project.database import BASE_DIR, django_database, resolver_role_name, role_credentials, verifier_role_name

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
# Debug pages (tracebacks, settings) only when asked for: DJANGO_DEBUG=1 (or true/yes).
DEBUG = os.environ.get("DJANGO_DEBUG", "0").strip().lower() in {"1", "true", "yes"}
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,.localhost,testserver").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "project",  # before auth: its createsuperuser/changepassword use the staff alias by default
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "pgtrigger",
    "rls",
    "tenancy",
    "models_app",
    "seeding",
    "analytics",
    "cdc",
    "lakehouse",
]

MIDDLEWARE = [
    "tenancy.middleware.HostGuardMiddleware",  # first: a bad Host is a plain 400, whatever DEBUG says
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
        # tenancy's admin/base_site.html and admin/index.html (the active tenant on every admin
        # page, the picker link) must win over django.contrib.admin's: searched first.
        "DIRS": [BASE_DIR / "tenancy" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.admin_tenant",
            ],
        },
    },
]

# ``default`` is the unprivileged runtime role; ``owner`` exists only to run migrations
# (``python manage.py migrate --database owner``; migrating through another alias is refused).
DATABASES = {
    "default": django_database("app", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))),
    "owner": django_database("owner"),
    # The seeding loader role (TEMPORARY for its staging tables; RLS and signed contexts apply).
    "loader": django_database("loader"),
}

# --- Staff: Django's own tables (auth, admin log, sessions, content types) ---------------
# They are reached through the ``staff`` alias (the staff role), never as the app role:
# project.routers.StaffRouter sends them there; rls.roles.staff_table_statements grants them.
DATABASES["staff"] = django_database("staff", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
DATABASE_ROUTERS = ["project.routers.StaffRouter"]
# Server-side sessions in the staff database: revocable (logout, password change), nothing
# readable in the cookie, and neither the app role nor the DMS role can read the table.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# --- end staff ----------------------------------------------------------------------------

#: Role names for ``rls`` (grants, checks, audit). Passwords stay in project.database.
LAKEHOUSE_ROLES = {key: creds.name for key, creds in role_credentials().items()}
LAKEHOUSE_ROLES["resolver"] = resolver_role_name()
LAKEHOUSE_ROLES["verifier"] = verifier_role_name()

#: The alias whose role owns the tables: the only one ``migrate`` accepts (rls.conf).
RLS_MIGRATION_DATABASE = "owner"

#: Paths where the tenant middleware does not require a tenant (admin picks one per session).
TENANT_EXEMPT_PATHS = ["/admin/", "/healthz", "/static/"]
#: Host names that belong to the platform, not to a tenant: without X-Tenant they get a 400.
TENANT_PLATFORM_HOSTS = ["localhost", "127.0.0.1", "testserver", "django", "0.0.0.0"]
#: Domains whose subdomains are ``<slug>.<domain>`` tenant addresses: such hosts resolve by
#: slug only, and no tenant may claim one (or the domain itself) as its own ``domain``.
TENANT_PLATFORM_DOMAINS = [
    domain.strip().lower()
    for domain in os.environ.get("DJANGO_PLATFORM_DOMAINS", "localhost").split(",")
    if domain.strip()
]

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
