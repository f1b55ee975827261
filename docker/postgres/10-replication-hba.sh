#!/bin/sh
# Runs once, when the postgres container initialises its data directory.
# Allows replication connections (AWS DMS, pg_recvlogical) for the DMS role only, with SCRAM,
# from any address: the replication rule of devdb/conf.py hba_lines() for a container
# network. (`all` in the database column never matches replication connections, so this line
# is the only way in for them.)
set -eu
: "${DATABASE_REPLICATION_USER:?DATABASE_REPLICATION_USER must be set}"
printf 'host    replication  %s  all  scram-sha-256\n' "$DATABASE_REPLICATION_USER" >> "$PGDATA/pg_hba.conf"
