"""``manage.py dms_config``: what an AWS DMS user types in, generated from this deployment."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdc.landing import LandingError
from cdc.mapping import CHANGE_SEQ_COLUMN, table_mappings
from cdc.runner import add_profile_arguments, check_slot, profile_from
from cdc.slots import DEFAULT_SLOT, PLUGIN, replication_sql_connection
from project.database import current_database_name, role_url
from rls.roles import DMS_SCHEMA

#: Oldest DMS engine that supports each PostgreSQL major version as a source: the table "PostgreSQL
#: source version / AWS DMS version to use" of the DMS user guide, "Using a PostgreSQL database as an
#: AWS DMS source" (13.x 3.4.3, 14.x 3.4.7, 15.x 3.5.1, 16.x 3.5.3, 17.x 3.6.1; 9.x-12.x: any).
MIN_DMS_VERSION = {13: "3.4.3", 14: "3.4.7", 15: "3.5.1", 16: "3.5.3", 17: "3.6.1"}
NEWEST_LISTED_MAJOR = max(MIN_DMS_VERSION)
DEFAULT_TARGET = "s3://lakehouse-landing/dms"


def minimum_dms_engine(major: int) -> dict[str, Any]:
    """The minimum engine, or, for a major the guide does not list yet, that fact in words."""
    if major in MIN_DMS_VERSION:
        return {"version": MIN_DMS_VERSION[major], "listed": True}
    if major < min(MIN_DMS_VERSION):
        return {"version": "any available", "listed": True}
    return {"version": None, "listed": False,
            "note": f"PostgreSQL {major} is not in the DMS user guide's source table yet (it ends at "
                    f"{NEWEST_LISTED_MAJOR}.x, which needs {MIN_DMS_VERSION[NEWEST_LISTED_MAJOR]}); use PostgreSQL "
                    f"{NEWEST_LISTED_MAJOR} or older on AWS, or a DMS engine whose notes list {major}."}
HEARTBEAT_MINUTES = 5
HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$"
                     r"|^[0-9a-fA-F:.]+$")


def source_endpoint(slot: str, host: str | None = None) -> dict[str, Any]:
    url = urlsplit(role_url("replication", current_database_name()))
    attributes = {
        "PluginName": PLUGIN, "slotName": slot, "captureDDLs": "false",
        "heartbeatEnable": "true", "heartbeatSchema": DMS_SCHEMA, "heartbeatFrequency": str(HEARTBEAT_MINUTES),
    }
    return {
        "EngineName": "postgres",
        "ServerName": host or url.hostname, "Port": url.port or 5432,
        "DatabaseName": unquote(url.path.lstrip("/")),
        "Username": unquote(url.username or ""),
        "Password": "<the replication role's password: DATABASE_REPLICATION_PASSWORD>",
        "ExtraConnectionAttributes": ";".join(f"{k}={v}" for k, v in attributes.items()),
        "PostgreSQLSettings": {
            "PluginName": "test-decoding", "SlotName": slot, "CaptureDdls": False,
            "DdlArtifactsSchema": DMS_SCHEMA, "HeartbeatEnable": True, "HeartbeatSchema": DMS_SCHEMA,
            "HeartbeatFrequency": HEARTBEAT_MINUTES,
        },
    }


def server_facts() -> dict[str, Any]:
    """Version and settings as the replication role sees them (None values when unreachable)."""

    try:
        conn = replication_sql_connection()
    except Exception as exc:  # the config is still useful offline
        return {"error": str(exc).strip()[:200]}
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')::int")
            version = cursor.fetchone()[0]
            cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [[
                "wal_level", "max_replication_slots", "max_wal_senders", "wal_sender_timeout",
                "max_slot_wal_keep_size"]])
            values = {name: f"{setting}{unit or ''}" for name, setting, unit in cursor.fetchall()}
    finally:
        conn.close()
    major = version // 10000
    return {"server_version_num": version, "minimum_dms_engine": minimum_dms_engine(major), "settings": values}


class Command(BaseCommand):
    help = "Print the DMS source endpoint, table mappings and S3 target settings for this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slot", default=DEFAULT_SLOT)
        parser.add_argument("--host", default=None,
                            help="the host name DMS should connect to (default: the one this project uses)")
        parser.add_argument("--target", default=DEFAULT_TARGET,
                            help=f"the S3 landing root, s3://bucket/prefix (default {DEFAULT_TARGET})")
        parser.add_argument("--json", action="store_true")
        add_profile_arguments(parser, fmt_default="parquet")

    def handle(self, *args: Any, **options: Any) -> None:
        slot = check_slot(options["slot"])
        host = options["host"]
        if host is not None and not HOST_RE.match(host):
            raise CommandError(f"--host {host!r} is not a host name or IP address.")
        if not options["target"].startswith("s3://"):
            raise CommandError("--target must be s3://bucket/prefix (the DMS S3 endpoint's bucket and folder).")
        try:
            profile = profile_from(options, options["target"])
            s3_settings = profile.endpoint_settings()
        except LandingError as exc:
            raise CommandError(str(exc)) from exc
        config = {
            "source_endpoint": source_endpoint(slot, host),
            "server": server_facts(),
            "table_mappings": table_mappings(),
            "s3_target_settings": s3_settings,
            "notes": [
                "The replication role has REPLICATION + BYPASSRLS + SELECT only: without BYPASSRLS the full load "
                "would be empty while CDC streams (RLS filters SELECT).",
                "CaptureDdls=false: DDL capture needs an event trigger, i.e. a superuser.",
                f"Heartbeat table goes to schema '{DMS_SCHEMA}', where the replication role has CREATE.",
                "Every tenant table uses REPLICA IDENTITY USING INDEX <table>_tenant_id_key: deletes carry "
                "tenant_id.",
                f"The '{CHANGE_SEQ_COLUMN}' column ($AR_H_CHANGE_SEQ, add-column transformation) orders and "
                "deduplicates changes.",
                f"'python manage.py dms_task --target {profile.target} --format {profile.fmt}' lands the same "
                "files locally from the same settings.",
                "DMS does not replicate TRUNCATE; an idle slot is invalidated past max_slot_wal_keep_size.",
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(config, indent=2))
            return
        endpoint = config["source_endpoint"]
        self.stdout.write("Source endpoint (PostgreSQL)")
        for key in ("ServerName", "Port", "DatabaseName", "Username", "Password", "ExtraConnectionAttributes"):
            self.stdout.write(f"  {key:<26} {endpoint[key]}")
        server = config["server"]
        if "error" in server:
            self.stdout.write(f"Server: not reachable ({server['error']})")
        else:
            engine = server["minimum_dms_engine"]
            version = server["server_version_num"]
            self.stdout.write(f"Server: PostgreSQL {version // 10000}.{version % 10000}; minimum DMS engine "
                              f"{engine['version'] or '(not listed)'}" + (f" - {engine['note']}" if engine.get("note")
                                                                          else ""))
            for name, value in sorted(server["settings"].items()):
                self.stdout.write(f"  {name:<26} {value}")
        self.stdout.write("S3 target endpoint settings (S3Settings):")
        for key, value in s3_settings.items():
            self.stdout.write(f"  {key:<30} {json.dumps(value)}")
        self.stdout.write("Table mappings (paste into the task):")
        self.stdout.write(json.dumps(config["table_mappings"], indent=2))
        for note in config["notes"]:
            self.stdout.write(f"- {note}")
