"""Reading what DMS landed: the file layout of the S3 target, in a folder or in S3.

Layout (AWS DMS S3 target)::

    <root>/<schema>/<table>/LOAD00000001.parquet       full load, numbered in upper-case hex
    <root>/<schema>/<table>/20250101-1200000000.parquet CDC, yyyymmdd-hhmmssSSSS

Columns: ``Op`` (I/U/D; absent on full-load files written without ``IncludeOpForFullLoad``,
which then mean ``I``), the commit timestamp, the change sequence, then the table's columns,
every value as the text PostgreSQL prints. CSV files have a header row; NULL is an empty
unquoted field and a quoted empty field is the empty string.

The contract itself (names, columns, how a file is parsed) is ``cdc.landing``, which the local
DMS task writes by; this module adds what the lake needs on top: a listing with each file's
size and ETag (Bronze registers files by content version) and a fail-closed rule: a name that
is neither a full-load nor a CDC name stops the build (a file the lake does not understand
must not be skipped silently); dot-files (in-progress temporaries) and the task's state file
at the root are not data. The root is a folder or ``s3://bucket/prefix`` (read through boto3;
DuckDB's httpfs would download an extension at run time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import boto3
import pyarrow as pa

from cdc.landing import CHANGE_SEQ_COLUMN, META_COLUMNS, OP_COLUMN, LandingError, parse_file_name, read_landing_file

__all__ = ["LandedFile", "Landing", "LandingError", "classify", "open_landing", "read_landed"]


@dataclass(frozen=True)
class LandedFile:
    uri: str
    schema: str
    table: str
    name: str
    kind: str  # "load" or "cdc"
    size: int
    #: Content version: the S3 ETag, or size + mtime for a folder (a replaced file is re-read).
    etag: str

    @property
    def fmt(self) -> str:
        return self.name.rsplit(".", 1)[1]

    @property
    def order(self) -> tuple[int, str]:
        """Full load before CDC, then by name (hex counter or timestamp: both sort as text)."""
        return (0 if self.kind == "load" else 1, self.name)


def classify(name: str, schema: str = "public", table: str = "t") -> str:
    """``load`` or ``cdc`` by the DMS naming contract (``cdc.landing``); any other name fails closed."""
    parsed = parse_file_name(schema, table, name)
    if parsed is None:
        raise LandingError(f"{name!r} is neither a DMS full-load name (LOAD00000001.ext) "
                           "nor a CDC name (yyyymmdd-hhmmssSSSS.ext)")
    return parsed.kind


class Landing:
    """A landing area: list the files and read one."""

    root: str

    def list_files(self) -> list[LandedFile]:
        raise NotImplementedError

    def read_bytes(self, file: LandedFile) -> bytes:
        raise NotImplementedError


class FolderLanding(Landing):
    def __init__(self, root: str | Path) -> None:
        self.root = str(root)
        self.path = Path(root)

    def list_files(self) -> list[LandedFile]:
        if not self.path.is_dir():
            raise LandingError(f"landing folder {self.path} does not exist")
        found = []
        for path in self.path.glob("*/*/*"):
            if path.name.startswith(".") or not path.is_file():
                continue
            stat = path.stat()
            schema, table = path.parent.parent.name, path.parent.name
            found.append(LandedFile(str(path), schema, table, path.name, classify(path.name, schema, table),
                                    stat.st_size, f"{stat.st_size}-{stat.st_mtime_ns}"))
        return sorted(found, key=lambda f: (f.table, f.order))

    def read_bytes(self, file: LandedFile) -> bytes:
        return Path(file.uri).read_bytes()


class S3Landing(Landing):
    """``s3://bucket/prefix`` through boto3 (endpoint from the argument or ``AWS_ENDPOINT_URL``)."""

    def __init__(self, root: str, endpoint_url: str | None = None) -> None:
        self.root = root
        bucket, _, prefix = root.removeprefix("s3://").partition("/")
        if not bucket:
            raise LandingError(f"{root!r} names no bucket")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def list_files(self) -> list[LandedFile]:
        found = []
        start = f"{self.prefix}/" if self.prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                parts = item["Key"][len(start):].split("/")
                if len(parts) != 3 or parts[2].startswith("."):
                    continue
                schema, table, name = parts
                found.append(LandedFile(f"s3://{self.bucket}/{item['Key']}", schema, table, name,
                                        classify(name, schema, table),
                                        int(item["Size"]), str(item["ETag"]).strip('"')))
        return sorted(found, key=lambda f: (f.table, f.order))

    def read_bytes(self, file: LandedFile) -> bytes:
        key = file.uri.removeprefix(f"s3://{self.bucket}/")
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


def open_landing(root: str, *, s3_endpoint: str | None = None) -> Landing:
    if root.startswith("s3://"):
        return S3Landing(root, s3_endpoint)
    return FolderLanding(root)


def read_landed(data: bytes, file: LandedFile, columns: Iterable[str]) -> pa.Table:
    """One file as an all-string Arrow table: the meta columns, then ``columns`` (missing ones NULL)."""
    columns = list(columns)
    table = read_landing_file(data, fmt=file.fmt)
    unknown = set(table.column_names) - set(META_COLUMNS) - set(columns)
    if unknown:
        raise LandingError(f"{file.uri}: columns {sorted(unknown)} are not in the model of {file.table}")
    rows = table.num_rows
    out = {}
    for name in (*META_COLUMNS, *columns):
        if name in table.column_names:
            out[name] = table.column(name).cast(pa.string())
        elif name == OP_COLUMN and file.kind == "load":
            out[name] = pa.array(["I"] * rows, pa.string())
        elif file.kind == "cdc" and name in (OP_COLUMN, CHANGE_SEQ_COLUMN):
            raise LandingError(f"{file.uri}: a CDC file without the {name!r} column cannot be ordered")
        else:
            out[name] = pa.nulls(rows, pa.string())
    return pa.table(out)
