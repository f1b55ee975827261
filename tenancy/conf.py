"""The settings ``tenancy`` reads, each through one function called at use time."""

from __future__ import annotations

from django.conf import settings


def exempt_paths() -> list[str]:
    """``TENANT_EXEMPT_PATHS``: path prefixes served without a tenant (the admin picks one per session)."""
    return list(getattr(settings, "TENANT_EXEMPT_PATHS", []))


def platform_hosts() -> list[str]:
    """``TENANT_PLATFORM_HOSTS``: host names of the platform itself; without X-Tenant they get a 400."""
    return [host.lower() for host in getattr(settings, "TENANT_PLATFORM_HOSTS", [])]


def platform_domains() -> list[str]:
    """``TENANT_PLATFORM_DOMAINS``: tenants are reached at ``<slug>.<domain>``; no tenant may claim those hosts."""
    return [domain.lower() for domain in getattr(settings, "TENANT_PLATFORM_DOMAINS", [])]


__all__ = ["exempt_paths", "platform_domains", "platform_hosts"]
