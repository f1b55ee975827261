"""Reading what DMS landed: the file layout of the S3 target, in a folder or in S3.

Layout (AWS DMS S3 target)::

    <root>/<schema>/<table>/LOAD00000001.parquet       full load, numbered in upper-case hex
    <root>/<schema>/<table>/20250101-1200000000.parquet CDC, yyyymmdd-hhmmssSSSS

Columns: ``Op`` (I/U/D; absent on full-load files written without ``IncludeOpForFullLoad``,
which then mean ``I``), the commit timestamp, the change sequence, then the table's columns,
every value as the text PostgreSQL prints. CSV files have a header row; NULL is an empty
unquoted field and a quoted empty field is the empty string.

A name that is neither a full-load nor a CDC name fails closed (a file the lake does not
understand must not be skipped silently); dot-files are in-progress temporaries and ignored.
The root is a folder or ``s3://bucket/prefix`` (read through boto3; DuckDB's httpfs would
download an extension at run time).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from cdc.mapping import CHANGE_SEQ_COLUMN
from cdc.sink import OP_COLUMN, TIMESTAMP_COLUMN

META_COLUMNS = (OP_COLUMN, TIMESTAMP_COLUMN, CHANGE_SEQ_COLUMN)
LOAD_NAME = re.compile(r"^LOAD([0-9A-F]{8})\.(csv|parquet)$")
CDC_NAME = re.compile(r"^(\d{8}-\d{10})\.(csv|parquet)$")
#: Width of ``$AR_H_CHANGE_SEQ``; full-load rows without a sequence sort first as all zeros.
SEQ_WIDTH = 35


class LandingError(ValueError):
    """The landing area holds something that does not follow the DMS layout."""


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


def classify(name: str) -> str:
    if LOAD_NAME.match(name):
        return "load"
    if CDC_NAME.match(name):
        return "cdc"
    raise LandingError(f"{name!r} is neither a DMS full-load name (LOAD00000001.ext) "
                       "nor a CDC name (yyyymmdd-hhmmssSSSS.ext)")


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
            found.append(LandedFile(str(path), path.parent.parent.name, path.parent.name, path.name,
                                    classify(path.name), stat.st_size, f"{stat.st_size}-{stat.st_mtime_ns}"))
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
                found.append(LandedFile(f"s3://{self.bucket}/{item['Key']}", schema, table, name, classify(name),
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
    if file.fmt == "parquet":
        table = pq.read_table(io.BytesIO(data))
    else:
        wanted = {name: pa.string() for name in (*META_COLUMNS, *columns)}
        table = pa_csv.read_csv(
            io.BytesIO(data),
            convert_options=pa_csv.ConvertOptions(column_types=wanted, strings_can_be_null=True,
                                                  quoted_strings_can_be_null=False),
        )
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
