"""The app's half of the signed tenant context: keys from the environment, proofs in Python.

The database accepts a tenant context only with a proof: HMAC-SHA256, under a key the app
role cannot read, of ``<prefix>:<tenant id>:<transaction id>:<backend pid>``. The key lives
in the app's environment (``LAKEHOUSE_CONTEXT_KEY``) and, for the verifier, in a table only
the NOLOGIN verifier role can read (``bootstrap_db`` provisions it). The transaction id
(``pg_current_xact_id()``, unique in the cluster's lifetime) binds a proof to the one
transaction it was made for: a proof seen anywhere else, even in ``pg_stat_activity``, is
worthless in any other transaction. The verifier is :func:`rls.roles.context_signing_statements`.

Rotation without downtime: ``LAKEHOUSE_CONTEXT_KEY_PREVIOUS`` keeps an old key accepted
(``bootstrap_db`` leaves it valid) while app servers move to the new one; the next
``bootstrap_db`` without it retires the old key. Every key is identified by a fingerprint
(:func:`key_id`) that travels with the proof.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from rls.sql import PROOF_PREFIX

KEY_ENV = "LAKEHOUSE_CONTEXT_KEY"
PREVIOUS_KEY_ENV = "LAKEHOUSE_CONTEXT_KEY_PREVIOUS"
#: Local development only (like the dev passwords of project.database); docker compose and
#: any real deployment must set LAKEHOUSE_CONTEXT_KEY (docs/SECURITY.md).
DEV_CONTEXT_KEY = "lakehouse-dev-context-key-change-me-in-production"
MIN_KEY_LENGTH = 32


class ContextKeyError(ValueError):
    """The configured context key is unusable (too short)."""


def _key_from(value: str, name: str) -> bytes:
    if len(value) < MIN_KEY_LENGTH:
        raise ContextKeyError(f"{name} must be at least {MIN_KEY_LENGTH} characters (a random secret); "
                              f"it has {len(value)}")
    return value.encode()


def signing_key() -> bytes:
    """The key this process signs with (``LAKEHOUSE_CONTEXT_KEY``, read at call time)."""
    return _key_from(os.environ.get(KEY_ENV) or DEV_CONTEXT_KEY, KEY_ENV)


def accepted_keys() -> list[bytes]:
    """Keys ``bootstrap_db`` provisions as valid: the signing key, then the previous one if set."""
    keys = [signing_key()]
    previous = os.environ.get(PREVIOUS_KEY_ENV)
    if previous:
        keys.append(_key_from(previous, PREVIOUS_KEY_ENV))
    return keys


def key_id(key: bytes) -> str:
    """A public fingerprint of a key (16 hex digits), sent with each proof."""
    return hashlib.sha256(b"lakehouse-context-key-id:" + key).hexdigest()[:16]


def message(tenant_id: uuid.UUID | str, xid: str | int, pid: int) -> bytes:
    """The signed message; the verifier builds the very same bytes in SQL."""
    return f"{PROOF_PREFIX}:{str(tenant_id).lower()}:{xid}:{pid}".encode()


def proof(tenant_id: uuid.UUID | str, xid: str | int, pid: int, key: bytes | None = None) -> str:
    """``<key id>:<hex HMAC-SHA256>`` for one tenant in one transaction of one backend."""
    key = key if key is not None else signing_key()
    mac = hmac.new(key, message(tenant_id, xid, pid), hashlib.sha256).hexdigest()
    return f"{key_id(key)}:{mac}"


__all__ = ["DEV_CONTEXT_KEY", "KEY_ENV", "PREVIOUS_KEY_ENV", "ContextKeyError", "accepted_keys", "key_id",
           "message", "proof", "signing_key"]
