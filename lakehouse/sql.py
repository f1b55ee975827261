"""Every SQL text of the lake, generated in one place from :class:`~lakehouse.schema.TableSpec`.

Three families:

* the Silver merge in DuckDB (staging → TOAST resolution → winners → replace), which is what
  Athena's ``MERGE INTO`` does on AWS (docs/LAKEHOUSE.md prints that variant);
* the catalog of the warehouse (``lake_meta``: Bronze file registry, watermarks, builds);
* the fingerprint: one canonical text per row, hashed the same way in PostgreSQL and DuckDB,
  so that ``sum(hash)`` per tenant compares the two engines without moving rows.
"""

from __future__ import annotations

from cdc.landing import TOAST_TOKEN
from lakehouse.schema import ColumnSpec, TableSpec

#: Stands for NULL while TOAST values are carried forward (IGNORE NULLS skips real NULLs).
NULL_MARK = "\x01null"
STATE_SCHEMA = "silver_state"
SILVER_SCHEMA = "silver"
GOLD_SCHEMA = "gold"
META_SCHEMA = "lake_meta"
SEQ_WIDTH = 35


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------- catalog

META_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {META_SCHEMA};
CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA};
CREATE SCHEMA IF NOT EXISTS {SILVER_SCHEMA};
CREATE SCHEMA IF NOT EXISTS {GOLD_SCHEMA};
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.bronze_files (
    uri VARCHAR, etag VARCHAR, schema_name VARCHAR, table_name VARCHAR, file_name VARCHAR, kind VARCHAR,
    size BIGINT, rows BIGINT, min_seq VARCHAR, max_seq VARCHAR, build_id BIGINT, registered_at TIMESTAMPTZ,
    PRIMARY KEY (uri, etag));
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.watermarks (
    table_name VARCHAR PRIMARY KEY, change_seq VARCHAR, commit_timestamp VARCHAR, updated_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.builds (
    build_id BIGINT PRIMARY KEY, started_at TIMESTAMPTZ, seconds DOUBLE, files BIGINT, rows BIGINT,
    applied BIGINT);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.freshness (build_id BIGINT, table_name VARCHAR, lag_seconds DOUBLE);
"""


def state_ddl(spec: TableSpec) -> str:
    cols = ", ".join(f"{ident(c.name)} {c.duckdb_type}" for c in spec.columns)
    return (f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.{ident(spec.name)} ({cols}, _change_seq VARCHAR, "
            f"_op VARCHAR, _commit_ts VARCHAR, _deleted BOOLEAN)")


def silver_view_ddl(spec: TableSpec) -> str:
    cols = ", ".join(ident(c) for c in spec.column_names)
    return (f"CREATE OR REPLACE VIEW {SILVER_SCHEMA}.{ident(spec.name)} AS SELECT {cols} "
            f"FROM {STATE_SCHEMA}.{ident(spec.name)} WHERE NOT _deleted")


# --------------------------------------------------------------------------- merge

def staging_sql(spec: TableSpec, source: str, op: str, ts: str, seq: str) -> str:
    """Normalise the landed rows: padded change sequence, file and row ordinals kept for ties.

    A view over the registered Arrow batch: scanning Arrow again is cheaper than copying it.
    """
    cols = ", ".join(ident(c) for c in spec.column_names)
    return (f"CREATE OR REPLACE TEMP VIEW stg AS SELECT {ident(op)} AS _op, {ident(ts)} AS _commit_ts, "
            f"lpad(coalesce(nullif(trim({ident(seq)}), ''), '0'), {SEQ_WIDTH}, '0') AS _change_seq, "
            f"_file, _row, _cdc, {cols} FROM {source}")


def staging_problems_sql(spec: TableSpec) -> str:
    key = ident(spec.key)
    return ("SELECT count(*) FILTER (WHERE _op IS NULL OR _op NOT IN ('I', 'U', 'D')), "
            f"count(*) FILTER (WHERE NOT regexp_full_match(_change_seq, '[0-9]{{{SEQ_WIDTH}}}')), "
            f"count(*) FILTER (WHERE {key} IS NULL) FROM stg")


def toast_columns_sql(spec: TableSpec) -> str:
    counts = ", ".join(f"count(*) FILTER (WHERE {ident(c)} = {literal(TOAST_TOKEN)})" for c in spec.column_names)
    return f"SELECT {counts} FROM stg"


def toast_carry_sql(spec: TableSpec, columns: list[str]) -> str:
    """Replace a TOAST token by the previous value of the key within the batch (NULLs marked)."""
    token, mark, key = literal(TOAST_TOKEN), literal(NULL_MARK), ident(spec.key)
    window = (f"OVER (PARTITION BY {key} ORDER BY _change_seq, _file, _row "
              "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)")
    replaced = ", ".join(
        f"CASE WHEN {ident(c)} = {token} THEN coalesce(last_value(CASE WHEN {ident(c)} = {token} OR _op = 'D' "
        f"THEN NULL ELSE coalesce({ident(c)}, {mark}) END IGNORE NULLS) {window}, {token}) "
        f"ELSE {ident(c)} END AS {ident(c)}"
        for c in columns
    )
    return (f"CREATE OR REPLACE TEMP TABLE stg_toast AS SELECT * REPLACE ({replaced}) FROM stg; "
            "CREATE OR REPLACE TEMP VIEW stg AS SELECT * FROM stg_toast")


def winners_sql(spec: TableSpec, toast: list[str]) -> str:
    """The latest change per key that is newer than Silver's (tombstones included)."""
    key = ident(spec.key)
    key_type = spec.column(spec.key).duckdb_type
    token, mark = literal(TOAST_TOKEN), literal(NULL_MARK)
    picks = []
    for c in spec.column_names:
        if c in toast:
            picks.append(f"CASE WHEN w.{ident(c)} = {token} THEN CAST(s.{ident(c)} AS VARCHAR) "
                         f"WHEN w.{ident(c)} = {mark} THEN NULL ELSE w.{ident(c)} END AS {ident(c)}")
        else:
            picks.append(f"w.{ident(c)}")
    toast_left = " OR ".join(f"w.{ident(c)} = {token}" for c in toast) or "FALSE"
    return (
        f"CREATE OR REPLACE TEMP TABLE winners AS SELECT {', '.join(picks)}, w._change_seq, w._op, w._commit_ts, "
        f"s.{key} IS NOT NULL AS _existed, ({toast_left}) AND s.{key} IS NULL AS _toast_orphan "
        f"FROM (SELECT * FROM stg QUALIFY row_number() OVER (PARTITION BY {key} "
        f"ORDER BY _change_seq DESC, _file DESC, _row DESC) = 1) AS w "
        f"LEFT JOIN {STATE_SCHEMA}.{ident(spec.name)} AS s ON s.{key} = CAST(w.{key} AS {key_type}) "
        f"WHERE s.{key} IS NULL OR w._change_seq > s._change_seq"
    )


def delete_replaced_sql(spec: TableSpec) -> str:
    key = ident(spec.key)
    key_type = spec.column(spec.key).duckdb_type
    return (f"DELETE FROM {STATE_SCHEMA}.{ident(spec.name)} WHERE {key} IN "
            f"(SELECT CAST({key} AS {key_type}) FROM winners WHERE _existed)")


def insert_winners_sql(spec: TableSpec) -> str:
    cols = ", ".join(ident(c) for c in spec.column_names)
    casts = ", ".join(f"CAST({ident(c.name)} AS {c.duckdb_type})" for c in spec.columns)
    return (f"INSERT INTO {STATE_SCHEMA}.{ident(spec.name)} ({cols}, _change_seq, _op, _commit_ts, _deleted) "
            f"SELECT {casts}, _change_seq, _op, _commit_ts, _op = 'D' FROM winners")


# --------------------------------------------------------------------------- fingerprint

def _canonical(column: ColumnSpec, engine: str) -> str:
    """The text of one value that both engines print identically (NULL handled by the caller).

    Timestamps compare at millisecond precision: DMS's Parquet carries milliseconds
    (``ParquetTimestampInMillisecond=true``, what Athena reads), so that is what the lake can know.
    """
    c = ident(column.name)
    if column.kind == "timestamptz":  # milliseconds since the epoch: no time-zone or format choice
        return f"CAST(floor(extract(epoch FROM {c}) * 1000) AS bigint)::text" if engine == "postgresql" \
            else f"CAST(epoch_us({c}) // 1000 AS VARCHAR)"
    if column.kind == "date":
        return f"to_char({c}, 'YYYY-MM-DD')" if engine == "postgresql" else f"strftime({c}, '%Y-%m-%d')"
    if column.kind == "inet" and engine == "postgresql":
        return f"abbrev({c})"  # as the output function prints it (inet::text would add /32)
    return f"CAST({c} AS text)" if engine == "postgresql" else f"CAST({c} AS VARCHAR)"


def row_hash_sql(spec: TableSpec, engine: str) -> str:
    """A 60-bit hash of the canonical text of a row (md5 prefix; identical in both engines)."""
    parts = [f"coalesce('=' || {_canonical(c, engine)}, '~')" for c in spec.columns]
    text = f"concat_ws(chr(31), {', '.join(parts)})"
    if engine == "postgresql":
        return f"('x' || substr(md5({text}), 1, 15))::bit(60)::bigint"
    return f"CAST('0x' || substr(md5({text}), 1, 15) AS BIGINT)"


def relation(spec: TableSpec, engine: str) -> str:
    return ident(spec.name) if engine == "postgresql" else f"{SILVER_SCHEMA}.{ident(spec.name)}"


def fingerprint_sql(spec: TableSpec, engine: str) -> str:
    """Per tenant: row count and the sum of row hashes (order-independent)."""
    tenant = ident(spec.tenant_column)
    cast = "text" if engine == "postgresql" else "VARCHAR"
    return (f"SELECT CAST({tenant} AS {cast}) AS tenant, count(*) AS n, sum(h) AS fp FROM "
            f"(SELECT {tenant}, {row_hash_sql(spec, engine)} AS h FROM {relation(spec, engine)}) AS r "
            "GROUP BY 1")


def key_hashes_sql(spec: TableSpec, engine: str) -> str:
    """Every key of one tenant with its row hash (to name the differing keys). One parameter: the tenant."""
    tenant, key = ident(spec.tenant_column), ident(spec.key)
    cast = "text" if engine == "postgresql" else "VARCHAR"
    placeholder = "%s" if engine == "postgresql" else "?"
    return (f"SELECT CAST({key} AS {cast}), {row_hash_sql(spec, engine)} FROM {relation(spec, engine)} "
            f"WHERE CAST({tenant} AS {cast}) = {placeholder}")


# --------------------------------------------------------------------------- bookkeeping

REGISTERED_FILES = f"SELECT uri, etag FROM {META_SCHEMA}.bronze_files"
NEXT_BUILD_ID = f"SELECT coalesce(max(build_id), 0) + 1 FROM {META_SCHEMA}.builds"
REGISTER_FILE = f"INSERT OR REPLACE INTO {META_SCHEMA}.bronze_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())"
STAGED_FILES = "SELECT _file, count(*), min(_change_seq), max(_change_seq) FROM stg GROUP BY 1"
WINNER_STATS = ("SELECT count(*), count(*) FILTER (WHERE _existed), count(*) FILTER (WHERE _op = 'D'), "
                "count(*) FILTER (WHERE _toast_orphan) FROM winners")
#: Parameters: table, table. The greatest sequence ever applied, and the commit time of the newest row.
WATERMARK_UPSERT = (
    f"INSERT OR REPLACE INTO {META_SCHEMA}.watermarks SELECT ?, greatest(max(s._change_seq), "
    f"(SELECT change_seq FROM {META_SCHEMA}.watermarks WHERE table_name = ?)), "
    "arg_max(s._commit_ts, s._change_seq), now() FROM stg AS s"
)
#: Parameters: build, table, the epoch second the batch became visible.
FRESHNESS_INSERT = (
    f"INSERT INTO {META_SCHEMA}.freshness SELECT ?, ?, ? - epoch(TRY_CAST(_commit_ts AS TIMESTAMPTZ)) "
    "FROM stg WHERE _cdc AND TRY_CAST(_commit_ts AS TIMESTAMPTZ) IS NOT NULL"
)
BUILD_LOG_INSERT = f"INSERT INTO {META_SCHEMA}.builds VALUES (?, now(), ?, ?, ?, ?)"
FRESHNESS_SUMMARY = ("SELECT count(*), quantile_cont(lag_seconds, 0.5), quantile_cont(lag_seconds, 0.95), "
                     f"max(lag_seconds) FROM {META_SCHEMA}.freshness")
WATERMARKS = f"SELECT table_name, change_seq, commit_timestamp FROM {META_SCHEMA}.watermarks ORDER BY 1"
GOLD_EXISTS = f"SELECT count(*) FROM duckdb_tables() WHERE schema_name = '{GOLD_SCHEMA}'"


def gold_create_sql(name: str, query: str) -> str:
    return f"CREATE OR REPLACE TABLE {GOLD_SCHEMA}.{ident(name)} AS {query}"


def gold_select_sql(name: str) -> str:
    return f"SELECT * FROM {GOLD_SCHEMA}.{ident(name)}"


def count_sql(spec: TableSpec, engine: str) -> str:
    return f"SELECT count(*) FROM {relation(spec, engine)}"


def export_sql(spec: TableSpec, *, only_winners: bool) -> str:
    """Silver rows for Iceberg (UUIDs as text); ``only_winners``: the keys of the last merge."""
    cols = ", ".join(f"CAST({ident(c.name)} AS VARCHAR) AS {ident(c.name)}" if c.kind == "uuid" else ident(c.name)
                     for c in spec.columns)
    where = ""
    if only_winners:
        key, key_type = ident(spec.key), spec.column(spec.key).duckdb_type
        where = f" WHERE {key} IN (SELECT CAST({key} AS {key_type}) FROM winners)"
    return f"SELECT {cols} FROM {SILVER_SCHEMA}.{ident(spec.name)}{where}"


def copy_out_sql(spec: TableSpec, *, op: str, change_seq: str, where: str = "TRUE") -> str:
    """PostgreSQL ``COPY … TO STDOUT`` of a table as a landing CSV (header, values quoted, NULL empty)."""
    cols = ", ".join(ident(c) for c in spec.column_names)
    query = (f"SELECT {literal(op)} AS \"Op\", to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
             f"AS commit_timestamp, {literal(change_seq)} AS change_seq, {cols} FROM {ident(spec.name)} "
             f"WHERE {where}")
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true, FORCE_QUOTE *)"


MAX_WATERMARK = f"SELECT max(change_seq) FROM {META_SCHEMA}.watermarks"


def synthetic_changes_sql(spec: TableSpec, op: str, n: int) -> str:
    """``n`` rows sampled from Silver as landing rows: ``U`` re-stamps ``updated_at``; ``I`` also takes a new id."""
    cols = []
    for c in spec.column_names:
        if c == "updated_at":
            cols.append(f"CAST(now() AS VARCHAR) AS {ident(c)}")
        elif c == spec.key and op == "I":
            cols.append(f"CAST(uuid() AS VARCHAR) AS {ident(c)}")
        else:
            cols.append(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}")
    return (f"SELECT {literal(op)} AS \"Op\", strftime(now(), '%Y-%m-%d %H:%M:%S.%f') AS commit_timestamp, "
            f"'' AS change_seq, {', '.join(cols)} FROM {SILVER_SCHEMA}.{ident(spec.name)} "
            f"USING SAMPLE {int(n)} ROWS")

#: Parameter: a build id. Freshness of the CDC rows applied by later builds.
FRESHNESS_SINCE = ("SELECT count(*), quantile_cont(lag_seconds, 0.5), quantile_cont(lag_seconds, 0.95), "
                   f"max(lag_seconds) FROM {META_SCHEMA}.freshness WHERE build_id > ?")
