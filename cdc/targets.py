"""Turning ``--target``/``--out`` and ``--s3-endpoint`` into a checked landing store.

``s3://`` targets are written through boto3. The endpoint is ``--s3-endpoint``, else
``AWS_ENDPOINT_URL``, else the local S3 server (``devdb.s3.LocalS3`` in ``.s3/``, started on
demand like the embedded PostgreSQL). ``--s3-endpoint aws`` means AWS itself (boto3's own
endpoint and credential chain): pointing the task at real S3 is configuration, not code.
On a loopback endpoint the bucket is created when missing and, without AWS credentials in
the environment, moto's placeholder credentials are used.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from django.conf import settings

from cdc.landing import FolderStore, LandingError, S3Store, Store, open_store, split_s3_url
from devdb.s3 import LOCAL_CREDENTIALS, LOCAL_REGION, LocalS3

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def local_s3_endpoint() -> str:
    return LocalS3(Path(os.environ.get("LAKEHOUSE_S3_DIR", Path(settings.BASE_DIR) / ".s3"))).ensure_running()


def resolve_endpoint(s3_endpoint: str | None) -> str | None:
    endpoint = s3_endpoint or os.environ.get("AWS_ENDPOINT_URL") or "local"
    if endpoint == "aws":
        return None
    if endpoint == "local":
        return local_s3_endpoint()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LandingError(f"--s3-endpoint {endpoint!r} is not an http(s) URL (or 'local', 'aws').")
    return endpoint


def open_target(target: str, s3_endpoint: str | None = None) -> Store:
    """A checked store: writable folder, or reachable bucket. Raises LandingError in one sentence."""
    if not str(target).startswith("s3://"):
        store = open_store(target)
        assert isinstance(store, FolderStore)
        store.check_writable()
        return store


    bucket, prefix = split_s3_url(target)
    endpoint = resolve_endpoint(s3_endpoint)
    local = endpoint is not None and urlsplit(endpoint).hostname in LOOPBACK
    options: dict = {"endpoint_url": endpoint, "config": Config(retries={"max_attempts": 3}, connect_timeout=5)}
    if local and not os.environ.get("AWS_ACCESS_KEY_ID"):
        options.update(LOCAL_CREDENTIALS)
    if not os.environ.get("AWS_DEFAULT_REGION") and not os.environ.get("AWS_REGION"):
        options["region_name"] = LOCAL_REGION
    store = S3Store(bucket, prefix, endpoint_url=endpoint, create_bucket=local,
                    client=boto3.client("s3", **options))
    store.check_writable()
    return store
