"""Checking a PostgreSQL SCRAM-SHA-256 verifier against a password (RFC 5802 / RFC 7677).

``pg_authid.rolpassword`` holds ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``.
The audit (as the admin) recomputes StoredKey and ServerKey from the configured password:
a mismatch means somebody (the role itself, with ``ALTER ROLE ... PASSWORD``) changed it.
Passwords are used as UTF-8 without SASLprep (the project's passwords are ASCII).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def verifier_matches(verifier: str, password: str) -> bool:
    try:
        method, rest = verifier.split("$", 1)
        params, keys = rest.split("$", 1)
        iterations, salt = params.split(":", 1)
        stored_key, server_key = (base64.b64decode(part) for part in keys.split(":", 1))
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    if method != "SCRAM-SHA-256":
        return False
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    expected_server = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key) and \
        hmac.compare_digest(expected_server, server_key)


__all__ = ["verifier_matches"]
