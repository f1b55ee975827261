"""The landing zone as AWS DMS's S3 target writes it: layout, names, columns, storage, reader.

This module is the contract between the local DMS task (``dms_task``, ``cdc_tail``) and
whoever reads the landed files (the lake). Layout under a root (a folder, or
``s3://bucket/prefix`` written through boto3)::

    <root>/<schema>/<table>/LOAD00000001.parquet     full load, numbered in upper-case hex
    <root>/<schema>/<table>/LOAD0000000A.parquet     (…09, 0A, …: 8 digits, as DMS)
    <root>/<schema>/<table>/20141029-1134010000.parquet   CDC: yyyymmdd-hhmmss + 4 sub-second digits
    <root>/_dms_task_state.json                      the task's own bookkeeping (not data)

Columns of every file, in order: ``Op`` (I/U/D; full-load rows carry ``I`` as with
``IncludeOpForFullLoad=true``), the timestamp column :data:`TIMESTAMP_COLUMN` (commit time
``yyyy-MM-dd HH:mm:ss.SSSSSS`` UTC; the transfer time on full load, as DMS's
``TimestampColumnName``), the change sequence :data:`CHANGE_SEQ_COLUMN` (35 decimal digits:
the commit LSN in 20 digits then the change's ordinal in its transaction in 15, so it is
monotonic per task; full-load rows carry the snapshot LSN and 15 zeros, lower than every
CDC row), then the table's columns in catalog (model) order. An UPDATE row is the after
image; a DELETE row carries the replica identity (``tenant_id``, ``id``), other columns NULL.

Parquet (the default) is typed as DMS types it: see :mod:`cdc.arrowtypes`. CSV has a header
row, NULL is an empty *unquoted* field (``CsvNullValue`` pinned to the empty string; DMS's
documented default is the string ``NULL``), every other value is quoted, so NULL and the
empty string differ. A TOASTed value an UPDATE did not change is the token
:data:`TOAST_TOKEN` (keep the previous value).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import boto3
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from botocore.exceptions import BotoCoreError, ClientError

from cdc.decoding import TOAST_TOKEN
from cdc.mapping import CHANGE_SEQ_COLUMN

__all__ = [
    "CHANGE_SEQ_COLUMN", "CSV_NULL_VALUE", "FORMATS", "META_COLUMNS", "OP_COLUMN", "STATE_KEY",
    "TIMESTAMP_COLUMN", "TOAST_TOKEN", "FolderStore", "LandingError", "LandingFile", "S3Store", "Store",
    "cdc_file_name", "change_seq", "commit_time", "landing_files", "load_file_name", "load_state", "open_store",
    "parse_file_name", "read_landing_file", "save_state", "split_s3_url", "table_key", "validate_name",
]

OP_COLUMN = "Op"
TIMESTAMP_COLUMN = "commit_timestamp"
META_COLUMNS = (OP_COLUMN, TIMESTAMP_COLUMN, CHANGE_SEQ_COLUMN)
#: DMS's ``CsvNullValue``, pinned: an empty unquoted field (quoted ``""`` is the empty string).
CSV_NULL_VALUE = ""
FORMATS = ("parquet", "csv")
STATE_KEY = "_dms_task_state.json"
LSN_DIGITS, ORDINAL_DIGITS = 20, 15

_LOAD_RE = re.compile(r"^LOAD([0-9A-F]{8})\.(parquet|csv)$")
_CDC_RE = re.compile(r"^(\d{8}-\d{6})(\d{4})\.(parquet|csv)$")
#: What a schema or table name may be to become a path segment: no separators, no dot-dot, no control chars.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f]")


class LandingError(ValueError):
    """A name, a target or a file that does not fit the landing contract."""


# -- names ----------------------------------------------------------------------------------
def validate_name(name: str, what: str = "name") -> str:
    """A schema or table name usable as one path segment, or LandingError."""
    if not name or name in (".", "..") or _BAD_NAME.search(name) or name.startswith("_"):
        raise LandingError(f"The {what} {name!r} cannot be a landing folder (empty, '.', '..', a path "
                           "separator, a control character or a leading '_').")
    return name


def table_key(schema: str, table: str) -> str:
    return f"{validate_name(schema, 'schema')}/{validate_name(table, 'table')}"


def load_file_name(number: int, fmt: str) -> str:
    """``LOAD00000001.parquet``: DMS numbers full-load files from 1 in 8 upper-case hex digits."""
    if not 1 <= number <= 0xFFFFFFFF:
        raise LandingError(f"full-load file number {number} is out of range")
    return f"LOAD{number:08X}.{fmt}"


def cdc_file_name(when: dt.datetime, fmt: str) -> str:
    """``20141029-1134010000.csv``: UTC time to a ten-thousandth of a second."""
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return f"{when:%Y%m%d-%H%M%S}{when.microsecond // 100:04d}.{fmt}"


@dataclass(frozen=True)
class LandingFile:
    schema: str
    table: str
    name: str
    kind: str  # "load" or "cdc"
    #: Full load: the file number; CDC: the file's time in ten-thousandths of a second since the epoch.
    order: int
    fmt: str

    @property
    def key(self) -> str:
        return f"{self.schema}/{self.table}/{self.name}"

    @property
    def written_at(self) -> dt.datetime | None:
        if self.kind != "cdc":
            return None
        return dt.datetime.fromtimestamp(self.order / 10_000, dt.UTC)


def parse_file_name(schema: str, table: str, name: str) -> LandingFile | None:
    """The landing file a name denotes, or None for anything else (temporary files, state)."""
    match = _LOAD_RE.match(name)
    if match:
        return LandingFile(schema, table, name, "load", int(match.group(1), 16), match.group(2))
    match = _CDC_RE.match(name)
    if match:
        moment = dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=dt.UTC)
        ticks = int(moment.timestamp()) * 10_000 + int(match.group(2))
        return LandingFile(schema, table, name, "cdc", ticks, match.group(3))
    return None


def change_seq(lsn: int, ordinal: int = 0) -> str:
    """The 35-digit change sequence: LSN (20 digits) then ordinal (15 digits)."""
    return f"{lsn:0{LSN_DIGITS}d}{ordinal:0{ORDINAL_DIGITS}d}"


def commit_time(moment: dt.datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss.SSSSSS`` in UTC (DMS's TimestampColumnName format)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


# -- storage ----------------------------------------------------------------------------------
class Store(Protocol):
    """Where files land. ``put``/``writer`` make a file appear whole and durable, or not at all."""

    description: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def writer(self, key: str, *, defer_dir_sync: bool = False) -> Any: ...
    def sync(self) -> None: ...
    def check_writable(self) -> None: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderStore:
    """A local folder: temporary file, fsync, rename, fsync of the folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = str(self.root)
        self._unsynced_dirs: set[Path] = set()

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
            raise LandingError(f"bad landing key {key!r}")
        return self.root.joinpath(*parts)

    def check_writable(self) -> None:
        """Fail before any work when the root is a file, not creatable or not writable."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise LandingError(f"{root} exists and is not a folder.")
        existing = root
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise LandingError(f"{root} is not writable (no write permission on {existing}).")
        try:
            root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=root, prefix=".probe", delete=True)  # noqa: SIM115
            probe.close()
        except OSError as exc:
            raise LandingError(f"{root} is not writable ({exc.strerror or exc}).") from exc

    @contextmanager
    def writer(self, key: str, *, defer_dir_sync: bool = False) -> Iterator[IO[bytes]]:
        """Write ``key`` whole: the file's data is fsynced before the rename.

        With ``defer_dir_sync`` the folder entries are made durable later, by :meth:`sync`
        (a full load syncs each folder once, before it records itself as done).
        """
        final = self._path(key)
        folder = final.parent
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            self._sync_dir(folder.parent, defer_dir_sync)
        tmp = folder / f".{final.name}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
            self._sync_dir(folder, defer_dir_sync)
        finally:
            tmp.unlink(missing_ok=True)

    def _sync_dir(self, folder: Path, defer: bool) -> None:
        if defer:
            self._unsynced_dirs.add(folder)
        else:
            _fsync_dir(folder)

    def sync(self) -> None:
        """Make every deferred folder entry durable."""
        for folder in sorted(self._unsynced_dirs, key=lambda p: len(p.parts), reverse=True):
            _fsync_dir(folder)
        self._unsynced_dirs.clear()

    def put(self, key: str, data: bytes) -> None:
        with self.writer(key) as handle:
            handle.write(data)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str = "") -> list[str]:
        base = self.root
        if not base.is_dir():
            return []
        keys = []
        for dirpath, _dirs, files in os.walk(base):
            rel = Path(dirpath).relative_to(base)
            for name in files:
                key = (rel / name).as_posix() if str(rel) != "." else name
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """``s3://bucket/prefix`` through boto3; an object is visible only once its upload completed."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None,
                 create_bucket: bool = False, client: Any = None) -> None:

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.description = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint_url}" if endpoint_url else "")
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)
        self.create_bucket = create_bucket

    def _key(self, key: str) -> str:
        if any(p in ("", ".", "..") for p in key.split("/")):
            raise LandingError(f"bad landing key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def check_writable(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchBucket", "NotFound") and self.create_bucket:
                self.client.create_bucket(Bucket=self.bucket)
            else:
                raise LandingError(f"Cannot use bucket {self.bucket!r} ({code or exc}).") from exc
        except BotoCoreError as exc:
            raise LandingError(f"Cannot reach S3 for {self.description}: {exc}.") from exc

    @contextmanager
    def writer(self, key: str, *, defer_dir_sync: bool = False) -> Iterator[IO[bytes]]:
        with tempfile.TemporaryFile() as handle:
            yield handle
            handle.flush()
            handle.seek(0)
            self.client.upload_fileobj(handle, self.bucket, self._key(key))

    def sync(self) -> None:
        """Nothing to do: an S3 object exists once its upload completed."""

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def list(self, prefix: str = "") -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                          Prefix=base + prefix):
            keys.extend(item["Key"][len(base):] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def split_s3_url(target: str) -> tuple[str, str]:
    rest = target[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket or ""):
        raise LandingError(f"{target!r} does not name a valid S3 bucket (s3://bucket/prefix).")
    return bucket, prefix


def open_store(target: str | Path, *, endpoint_url: str | None = None, create_bucket: bool = False) -> Store:
    """A folder path or ``s3://bucket/prefix`` → its store (nothing is written yet)."""
    text = str(target)
    if text.startswith("s3://"):
        bucket, prefix = split_s3_url(text)
        return S3Store(bucket, prefix, endpoint_url=endpoint_url, create_bucket=create_bucket)
    if "://" in text:
        raise LandingError(f"{text!r}: the target is a folder or s3://bucket/prefix.")
    return FolderStore(Path(text))


# -- reading ------------------------------------------------------------------------------------
def landing_files(store: Store) -> list[LandingFile]:
    """Every data file, per table: full load first (by number), then CDC (by name/time)."""
    found = []
    for key in store.list():
        parts = key.split("/")
        if len(parts) != 3:
            continue
        parsed = parse_file_name(*parts)
        if parsed is not None:
            found.append(parsed)
    return sorted(found, key=lambda f: (f.schema, f.table, f.kind != "load", f.order, f.name))


def read_landing_file(source: Store | Path | str | bytes, key: str | None = None, fmt: str | None = None):
    """One landed file as a ``pyarrow.Table``.

    ``source`` is a store (with ``key``), a local path, or the file's bytes (with ``fmt``).
    Parquet comes typed as written; CSV comes as strings with NULL as null (an empty
    unquoted field) and the empty string as ``""``.
    """

    if isinstance(source, bytes):
        data, name = source, f"x.{fmt or 'parquet'}"
    elif isinstance(source, str | Path):
        data, name = Path(source).read_bytes(), str(source)
    else:
        if key is None:
            raise LandingError("read_landing_file(store, key): the key is missing")
        blob = source.get(key)
        if blob is None:
            raise LandingError(f"{key} is not in {source.description}")
        data, name = blob, key
    if name.endswith(".parquet"):
        return pq.read_table(io.BytesIO(data))
    if not name.endswith(".csv"):
        raise LandingError(f"{name}: not a .parquet or .csv landing file")
    header = _csv_header(data)
    return pcsv.read_csv(
        io.BytesIO(data),
        convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                            null_values=[CSV_NULL_VALUE], strings_can_be_null=True,
                                            quoted_strings_can_be_null=False),
    )


def _csv_header(data: bytes) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    return next(csv.reader([first]))


def load_state(store: Store) -> dict[str, Any] | None:
    raw = store.get(STATE_KEY)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise LandingError(f"{STATE_KEY} in {store.description} is not valid JSON") from exc


def save_state(store: Store, state: dict[str, Any]) -> None:
    store.put(STATE_KEY, json.dumps(state, indent=2, sort_keys=True).encode())
