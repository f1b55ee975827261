"""``Tenant`` and the building blocks of tenant-scoped models.

A model becomes tenant-scoped by subclassing :class:`TenantScopedModel`. Its ``tenant``
field attaches, on the concrete model, the RLS policy and ``UNIQUE (tenant_id, id)``;
each :class:`TenantForeignKey` attaches a composite foreign key
``(tenant_id, x_id) REFERENCES x (tenant_id, id)`` and its index. ``makemigrations``
sees them as constraints, so a new tenant-scoped model needs no hand-kept list.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from rls.constraints import TenantForeignKeyConstraint, TenantIsolationPolicy
from tenancy import conf
from tenancy.context import current_tenant_id
from tenancy.ids import uuid7
from tenancy.managers import CurrentTenantManager, TenantManager


def _index_name(model_name: str, field: str) -> str:
    """``<model>_<field>_<hash>_tfk``, at most 30 characters (Django's index name limit)."""
    digest = hashlib.sha1(f"{model_name}.{field}".encode()).hexdigest()[:6]
    return f"{model_name[:9]}_{field[:9]}_{digest}_tfk"


def _is_historical(cls: type) -> bool:
    # Models rendered from migration state live in the fake module "__fake__"; their
    # constraints come from the migration state, not from these fields.
    return cls.__module__ == "__fake__"


def _attach(cls: type[models.Model], item: Any, attribute: str = "constraints") -> None:
    existing = getattr(cls._meta, attribute)
    if not any(getattr(e, "name", None) == item.name for e in existing):
        existing.append(item)
    # Migration state copies only the Meta options a model declared (original_attrs).
    cls._meta.original_attrs[attribute] = existing


class TenantField(models.ForeignKey):
    """The ``tenant`` column of a tenant-scoped model; attaches the RLS policy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to", "tenancy.Tenant")
        kwargs.setdefault("on_delete", models.DO_NOTHING)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", False)  # every index on the table leads with tenant_id
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        if cls._meta.abstract or _is_historical(cls):
            return
        table = cls._meta.db_table
        _attach(cls, TenantIsolationPolicy(name=f"{table}_tenant_isolation"[:63], column=self.get_attname()))
        _attach(cls, models.UniqueConstraint(fields=[name, "id"], name=f"{table}_tenant_id_key"[:63]))


class TenantForeignKey(models.ForeignKey):
    """A foreign key to another tenant-scoped model, enforced as ``(tenant_id, x_id)``.

    The single-column database constraint is replaced by the composite one, so a row can
    only ever point at a parent of its own tenant, whatever SQL writes it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False
        kwargs.setdefault("db_index", False)  # the (tenant_id, x_id) index replaces it
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        if cls._meta.abstract or _is_historical(cls):
            return
        table = cls._meta.db_table
        _attach(cls, TenantForeignKeyConstraint(name=f"{table}_{name}_tenant_fk"[:63], field=name))
        _attach(cls, models.Index(fields=["tenant", name], name=_index_name(cls._meta.model_name, name)),
                attribute="indexes")


#: A tenant's own domain: lower-case ASCII labels, at least two, the last one alphabetic (so
#: no IP literal), 253 characters at most. The database enforces the same pattern.
DOMAIN_PATTERN = r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
#: Reserved everywhere (RFC 6761) and the local platform domain: the CHECK constraint refuses it
#: even to raw SQL of the app role. Other platform domains are refused by model validation, and
#: the middleware resolves hosts under any platform domain by slug only.
LOCALHOST_PATTERN = r"(^|\.)localhost$"


def _under(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def validate_tenant_domain(value: str | None) -> None:
    """Refuse a ``domain`` that is malformed or belongs to the platform.

    ``<slug>.<platform domain>`` is how every tenant is reached without a domain of its own,
    so a tenant claiming ``<another slug>.localhost`` (or ``localhost`` itself, or a platform
    host) would capture another tenant's address. Settings are read at call time.
    """
    if not value:
        return
    if not re.fullmatch(DOMAIN_PATTERN, value):
        raise ValidationError("Enter a lower-case host name such as shop.example.com (no port, no IP address).",
                              code="invalid_domain")
    if value in conf.platform_hosts() or re.search(LOCALHOST_PATTERN, value) or any(
            _under(value, parent) for parent in conf.platform_domains()):
        raise ValidationError(f"{value} belongs to the platform (tenants are reached at <slug>.<platform domain>): "
                              "a tenant cannot claim it.", code="platform_domain")


class Tenant(models.Model):
    """A customer of the SaaS platform. Row-level secured on ``id``: a tenant sees itself."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=63, unique=True)
    domain = models.CharField(max_length=253, unique=True, null=True, blank=True,
                              validators=[validate_tenant_domain])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)

    objects = CurrentTenantManager()

    class Meta:
        base_manager_name = "objects"
        db_table = "tenancy_tenant"
        ordering = ["name"]
        constraints = [
            TenantIsolationPolicy(name="tenancy_tenant_tenant_isolation", column="id"),
            models.CheckConstraint(
                condition=models.Q(domain__isnull=True)
                | (models.Q(domain__regex=DOMAIN_PATTERN) & ~models.Q(domain__regex=LOCALHOST_PATTERN)),
                name="tenancy_tenant_domain_not_platform",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="tenant_created_at_idx")]
        triggers = [
            pgtrigger.Trigger(
                name="set_updated_at", when=pgtrigger.Before, operation=pgtrigger.Update,
                func="NEW.updated_at := now(); RETURN NEW;",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


def tenant_triggers() -> list[pgtrigger.Trigger]:
    return [
        # updated_at is right for raw SQL and QuerySet.update() too: DMS and incremental
        # lakehouse loads depend on it.
        pgtrigger.Trigger(
            name="set_updated_at", when=pgtrigger.Before, operation=pgtrigger.Update,
            func="NEW.updated_at := now(); RETURN NEW;",
        ),
        # An integrity guard, not the boundary: any role can skip triggers via
        # pgtrigger.ignore; the policy's WITH CHECK is what stops a tenant move.
        pgtrigger.Protect(
            name="tenant_id_immutable", operation=pgtrigger.Update,
            condition=pgtrigger.AnyChange("tenant"),
        ),
    ]


class TenantScopedModel(models.Model):
    """Abstract base of every tenant-scoped table."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant = TenantField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    #: The only manager, also Django's base manager: related-object access, refresh and
    #: the deletion collector fail fast outside a context as well.
    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"
        triggers = tenant_triggers()

    def save(self, *args: Any, **kwargs: Any) -> None:
        tenant_id = current_tenant_id(kwargs.get("using") or self._state.db or "default")
        if self.tenant_id is None:
            self.tenant_id = tenant_id
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        current_tenant_id(kwargs.get("using") or self._state.db or "default")
        return super().delete(*args, **kwargs)


class StaffTenantAccess(models.Model):
    """Staff user ``user`` may administer tenant ``tenant`` (superusers need no binding).

    Lives with Django's auth tables (the staff database alias, project.routers): the app role
    can neither read nor write it. ``tenant`` is a plain uuid column, not a foreign key, because
    the tenant table is the app role's and a binding to a deleted tenant binds to nothing. (Not
    named ``tenant_id``: that column name marks tenant data, which the audit expects under RLS.)
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_access")
    tenant = models.UUIDField(db_index=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tenancy_stafftenantaccess"
        verbose_name = "staff tenant access"
        verbose_name_plural = "staff tenant access"
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="staff_tenant_access_unique")]

    def __str__(self) -> str:
        return f"{self.user} -> {self.tenant}"


class AdminLogTenant(models.Model):
    """The tenant an admin log entry is about, so each tenant's admin shows only its own history.

    ``django_admin_log.object_repr`` names the object ("alice@acme.test"); without this the
    admin index would show tenant A's object names to whoever administers tenant B.
    """

    entry = models.OneToOneField("admin.LogEntry", on_delete=models.CASCADE, primary_key=True,
                                 related_name="tenant_link")
    tenant = models.UUIDField(db_index=True)

    class Meta:
        db_table = "tenancy_adminlogtenant"
