"""``seed_orders``: seed orders and their items for the world's tenants (see seeding.engine)."""

from seeding.management.commands._base import SeedCommand


class Command(SeedCommand):
    help = "Seed orders and their items under tenant contexts (deterministic; reruns carry on with what is missing)."
    units = ("orders",)
