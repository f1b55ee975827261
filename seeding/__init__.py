"""seeding package."""
