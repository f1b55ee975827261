"""PostgreSQL server settings shared by every way this project runs a server.

The embedded server, ``docker-compose.yml`` and the CI's PostgreSQL 15 cluster all use
these values, so a DMS source configured here is configured identically everywhere
(a test compares the compose file with this module).
"""

from __future__ import annotations

#: Settings AWS DMS needs on a PostgreSQL source, plus disk protection for idle slots.
DMS_SERVER_SETTINGS: dict[str, str] = {
    "wal_level": "logical",
    "max_replication_slots": "10",
    "max_wal_senders": "10",
    "wal_sender_timeout": "60s",
    "max_slot_wal_keep_size": "2GB",
    "password_encryption": "scram-sha-256",
}


def server_options() -> list[str]:
    """The settings as ``-c name=value`` arguments for ``postgres`` (used by docker compose)."""
    options: list[str] = []
    for name, value in DMS_SERVER_SETTINGS.items():
        options += ["-c", f"{name}={value}"]
    return options


def hba_lines(replication_role: str) -> list[str]:
    """``pg_hba.conf`` rules: passwords (SCRAM) for everyone, and no ``replication`` line at all.

    A ``replication`` line admits *physical* replication only (``pg_basebackup``, streaming
    standbys): a copy of the whole cluster, ``pg_authid`` included. AWS DMS and ``cdc_tail``
    stream through *logical* replication connections, which name a database and match the
    ordinary lines below, so ``replication_role`` (the DMS role) needs no line of its own.
    (PostgreSQL still lets a REPLICATION role run BASE_BACKUP over such a logical
    connection: docs/SECURITY.md, attacker model 5, and tests/attacks/test_replication_credential.py.)
    """
    del replication_role  # kept for callers: no role gets a replication line
    return [
        "# TYPE  DATABASE     USER  ADDRESS  METHOD  (written by devdb/conf.py)",
        "local   all          all            scram-sha-256",
        "host    all          all   127.0.0.1/32  scram-sha-256",
        "host    all          all   ::1/128       scram-sha-256",
    ]
