"""``seed_products``: seed products for the world's tenants (see seeding.engine)."""

from seeding.management.commands._base import SeedCommand


class Command(SeedCommand):
    help = "Seed products under tenant contexts (deterministic; reruns carry on with what is missing)."
    units = ("products",)
