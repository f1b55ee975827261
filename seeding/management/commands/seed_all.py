"""``seed_all``: every unit in dependency order (docs/REQUIREMENTS.md), one transaction per tenant."""

from seeding.engine import UNIT_ORDER
from seeding.management.commands._base import SeedCommand


class Command(SeedCommand):
    help = ("Seed tenants, customers, products, subscriptions, orders & items, events and invoices under "
            "tenant contexts: deterministic (--seed), atomic per tenant, parallel across tenants (--workers).")
    units = UNIT_ORDER
