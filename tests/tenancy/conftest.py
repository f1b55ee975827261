"""Staff users for the admin tests (they live in the staff database; deleted afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from tenancy.staff import grant_tenant


@pytest.fixture
def staff_users(committed) -> Iterator[Callable[..., User]]:
    """``make(*tenants, superuser=False, perms=())`` -> a staff user bound to those tenants."""
    made: list[User] = []

    def make(*tenants: object, superuser: bool = False, perms: tuple[str, ...] = ()) -> User:
        name = f"staff-{uuid.uuid4().hex[:8]}"
        if superuser:
            user = User.objects.create_superuser(name, f"{name}@example.test", "pw")
        else:
            user = User.objects.create_user(name, f"{name}@example.test", "pw", is_staff=True)
            for codename in perms:
                app_label, code = codename.split(".")
                user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=code))
        for tenant in tenants:
            grant_tenant(user, tenant.id)  # type: ignore[attr-defined]
        made.append(user)
        return user

    yield make
    for user in made:
        user.delete()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
