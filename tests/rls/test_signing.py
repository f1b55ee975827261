"""HMAC-SHA256 in SQL (core sha256(), no pgcrypto) and the lifecycle of context keys.

The verifier of signed tenant contexts computes HMAC-SHA256 in SQL; these tests run the
RFC 4231 vectors through it as the app role, check it against Python's ``hmac`` on random
inputs, and rotate keys without downtime (old and new accepted, then the old one retired).
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from django.db import connection, connections
from hypothesis import given, settings
from hypothesis import strategies as st

from project.bootstrap import provision_context_keys
from project.database import connect
from rls.signing import PREVIOUS_KEY_ENV, key_id, signing_key
from tenancy import TenantContextRejected, tenant_context

pytestmark = pytest.mark.rls

#: RFC 4231, section 4: (key, data, HMAC-SHA-256); case 5 is truncated to 128 bits.
RFC4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data. "
     b"The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


def sql_hmac(key: bytes, data: bytes) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT encode(public.lakehouse_hmac_sha256(%s, %s), 'hex')", [key, data])
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "data", "expected"), RFC4231, ids=[f"case{i}" for i in range(1, 8)])
def test_rfc4231_vectors_in_sql_as_the_app_role(key: bytes, data: bytes, expected: str) -> None:
    assert sql_hmac(key, data)[: len(expected)] == expected


@pytest.mark.django_db
def test_plain_sha256_of_key_and_message_is_not_what_the_verifier_computes() -> None:
    key, data, expected = RFC4231[1]
    assert hashlib.sha256(key + data).hexdigest() != expected != sql_hmac(key + b"x", data)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(key=st.binary(min_size=1, max_size=200), data=st.binary(max_size=300))
def test_sql_hmac_equals_python_hmac(key: bytes, data: bytes) -> None:
    assert sql_hmac(key, data) == hmac.new(key, data, hashlib.sha256).hexdigest()


OLD = "old-context-key-for-the-rotation-test-000000"
NEW = "new-context-key-for-the-rotation-test-111111"


def _provision(monkeypatch, current: str, previous: str | None) -> list[str]:
    monkeypatch.setenv("LAKEHOUSE_CONTEXT_KEY", current)
    if previous:
        monkeypatch.setenv("LAKEHOUSE_CONTEXT_KEY_PREVIOUS", previous)
    else:
        monkeypatch.delenv("LAKEHOUSE_CONTEXT_KEY_PREVIOUS", raising=False)
    conn = connect("admin")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            return provision_context_keys(cursor)
    finally:
        conn.close()


def _accepted(monkeypatch, key: str, tenant) -> bool:
    monkeypatch.setenv("LAKEHOUSE_CONTEXT_KEY", key)
    try:
        with tenant_context(tenant):
            return True
    except TenantContextRejected:
        return False
    finally:
        connections["default"].close()


def test_rotation_accepts_old_and_new_during_the_window_then_retires_the_old(committed, monkeypatch) -> None:
    tenant = committed.tenant()
    configured = (signing_key().decode(), os.environ.get(PREVIOUS_KEY_ENV))
    try:
        with monkeypatch.context() as patch:
            assert _provision(patch, OLD, None) == [key_id(OLD.encode())]
            assert _accepted(patch, OLD, tenant) and not _accepted(patch, NEW, tenant)
            # The window: bootstrap_db with the new key and the previous one; app servers move over.
            _provision(patch, NEW, OLD)
            assert _accepted(patch, OLD, tenant) and _accepted(patch, NEW, tenant)
            # Done: bootstrap_db without the previous key retires it at once.
            _provision(patch, NEW, None)
            assert _accepted(patch, NEW, tenant) and not _accepted(patch, OLD, tenant)
    finally:
        with monkeypatch.context() as patch:  # back to what the rest of the suite signs with
            _provision(patch, *configured)
