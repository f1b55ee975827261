"""Composition root: settings, URLs, and the wiring between Django and PostgreSQL."""
