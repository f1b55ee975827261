#!/bin/sh
# Back up the whole database, every tenant included: pg_dump as the REPLICATION role.
#
# Why that role: it has BYPASSRLS and SELECT on every table (and sequence), nothing else.
#  * the app role is subject to RLS: with pg_dump's default row_security=off it is refused
#    ("query would be affected by row-level security policy"), and with --enable-row-security
#    it dumps empty tables, since no tenant context is set;
#  * the owner is subject to the policies too (tables are FORCE ROW LEVEL SECURITY);
#  * the admin (superuser) would work, but routine jobs should not hold superuser credentials.
# Django's own tables (users and password hashes, sessions, the admin log, staff bindings,
# permissions, content types) are not readable by the replication role: they go to a second
# file, dumped as the staff role (<file>.staff).
# Restore as the admin (a superuser bypasses RLS, and the dump keeps table ownership):
#   pg_restore --dbname=<admin URL of an empty database> <file>
#   pg_restore --dbname=<same URL> <file>.staff
#
# Usage: scripts/backup_db.sh [output-file]   (default: backups/<database>_<UTC time>.dump)
# Environment as for manage.py; PG_DUMP picks the pg_dump binary (it must be at least the
# server's major version: the embedded server's own pg_dump is used when it serves the data).
set -eu
cd "$(dirname "$0")/.."
# The project's virtualenv when there is one (make install), else python on PATH.
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python; fi
fi

if [ -z "${PG_DUMP:-}" ]; then
    if [ -z "${DATABASE_URL:-}" ] && [ -z "${DATABASE_HOST:-}" ]; then
        bin_dir=$("$PYTHON" manage.py dbserver status | awk '$1 == "bin_dir" {print $2}')
        PG_DUMP="$bin_dir/pg_dump"
    else
        PG_DUMP=pg_dump
    fi
fi

url=$("$PYTHON" manage.py dburl --role replication)
database=$("$PYTHON" -c 'import sys, urllib.parse as u; print(u.unquote(u.urlsplit(sys.argv[1]).path[1:]))' "$url")
out=${1:-backups/${database}_$(date -u +%Y%m%dT%H%M%SZ).dump}
mkdir -p "$(dirname "$out")"

# Note: the URL carries the password and shows in `ps` on this host while pg_dump runs; on a
# shared host put the password in ~/.pgpass and drop it from the URL.
# The staff role's tables: project.routers.staff_tables() (a test keeps these patterns in step).
staff_tables="public.auth_* public.django_admin_log public.django_session public.django_content_type
public.tenancy_stafftenantaccess public.tenancy_adminlogtenant"
exclude="" include=""
for pattern in $staff_tables; do
    exclude="$exclude --exclude-table=$pattern"
    include="$include --table=$pattern"
done
# shellcheck disable=SC2086 # word splitting of the option lists is intended
# The context keys (schema lakehouse_private) are out of the replication role's reach too.
PGAPPNAME=lakehouse-backup "$PG_DUMP" --format=custom --file="$out" --dbname="$url" $exclude \
    --exclude-schema=lakehouse_private
echo "backup_db: wrote $out (as the replication role, all tenants)"
staff_url=$("$PYTHON" manage.py dburl --role staff)
# shellcheck disable=SC2086
PGAPPNAME=lakehouse-backup "$PG_DUMP" --format=custom --file="$out.staff" --dbname="$staff_url" $include
echo "backup_db: wrote $out.staff (as the staff role, Django's users, sessions and admin log)"
