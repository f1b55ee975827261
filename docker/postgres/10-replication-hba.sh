#!/bin/sh
# Runs once, when the postgres container initialises its data directory.
# Removes every `replication` line from pg_hba.conf: those admit *physical* replication only
# (pg_basebackup, a copy of the whole cluster with pg_authid). AWS DMS streams through logical
# replication connections, which name a database and match the ordinary `host all all` lines,
# so nothing needs a replication line (devdb/conf.py hba_lines() is the same rule).
set -eu
hba="$PGDATA/pg_hba.conf"
tmp="$hba.tmp"
# Field 2 is the database column; comment lines (field 1 starts with #) are kept.
awk '$1 !~ /^#/ && $2 == "replication" { next } { print }' "$hba" > "$tmp"
mv "$tmp" "$hba"
