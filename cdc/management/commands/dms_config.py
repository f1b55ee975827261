"""``manage.py dms_config``: what an AWS DMS user types in, generated from this deployment."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.management.base import BaseCommand, CommandParser

from cdc.mapping import CHANGE_SEQ_COLUMN, table_mappings
from cdc.sink import TIMESTAMP_COLUMN
from cdc.slots import DEFAULT_SLOT, PLUGIN
from project.database import current_database_name, role_url
from rls.roles import DMS_SCHEMA

#: Oldest DMS engine that supports each PostgreSQL major version as a source (AWS documentation).
MIN_DMS_VERSION = {13: "3.4.3", 14: "3.4.7", 15: "3.5.1", 16: "3.5.3", 17: "3.6.1"}
HEARTBEAT_MINUTES = 5


def source_endpoint(slot: str) -> dict[str, Any]:
    url = urlsplit(role_url("replication", current_database_name()))
    attributes = {
        "PluginName": PLUGIN, "slotName": slot, "captureDDLs": "false",
        "heartbeatEnable": "true", "heartbeatSchema": DMS_SCHEMA, "heartbeatFrequency": str(HEARTBEAT_MINUTES),
    }
    return {
        "EngineName": "postgres",
        "ServerName": url.hostname, "Port": url.port or 5432,
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
    from cdc.slots import replication_sql_connection

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
    return {"server_version_num": version, "minimum_dms_engine": MIN_DMS_VERSION.get(major, "check AWS docs"),
            "settings": values}


class Command(BaseCommand):
    help = "Print the DMS source endpoint, table mappings and S3 target settings for this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slot", default=DEFAULT_SLOT)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        config = {
            "source_endpoint": source_endpoint(options["slot"]),
            "server": server_facts(),
            "table_mappings": table_mappings(),
            "s3_target_settings": {
                "DataFormat": "csv", "AddColumnName": True, "TimestampColumnName": TIMESTAMP_COLUMN,
                "IncludeOpForFullLoad": True, "CdcInsertsOnly": False, "CsvNullValue": "",
            },
            "notes": [
                "The replication role has REPLICATION + BYPASSRLS + SELECT only: without BYPASSRLS the full load "
                "would be empty while CDC streams (RLS filters SELECT).",
                "CaptureDdls=false: DDL capture needs an event trigger, i.e. a superuser.",
                f"Heartbeat table goes to schema '{DMS_SCHEMA}', where the replication role has CREATE.",
                "Every tenant table uses REPLICA IDENTITY USING INDEX <table>_tenant_id_key: deletes carry "
                "tenant_id.",
                f"The '{CHANGE_SEQ_COLUMN}' column ($AR_H_CHANGE_SEQ) orders and deduplicates changes.",
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
        self.stdout.write(f"Server: {json.dumps(config['server'])}")
        self.stdout.write("Table mappings (paste into the task):")
        self.stdout.write(json.dumps(config["table_mappings"], indent=2))
        self.stdout.write(f"S3 target settings: {json.dumps(config['s3_target_settings'])}")
        for note in config["notes"]:
            self.stdout.write(f"- {note}")
