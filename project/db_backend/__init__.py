"""Django's PostgreSQL backend, finding the local server when a connection opens (see :mod:`.base`)."""
