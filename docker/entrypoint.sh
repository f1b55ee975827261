#!/bin/sh
# Entrypoint of the django container: prepare the database, then run the command.
#
#   1. bootstrap_db  as the admin (DATABASE_ADMIN_USER): roles, database, grants (rls/roles.py)
#   2. migrate       as the owner (DATABASE_OWNER_USER): tables, RLS, policies (rls/sql.py)
#   3. rls_audit     as the owner: refuses to start (exit 1) on any high or critical finding
#   4. exec "$@"     by default `python manage.py runserver --insecure 0.0.0.0:8000` (static files without DEBUG), as the app role
#
# Steps 1-3 are scripts/init_db.sh, the same commands the embedded path (`make demo`) runs:
# one source of truth for roles, grants and policies. Also runnable outside Docker (the
# tests run it against the embedded server with DATABASE_HOST/PORT/NAME pointed at it).
set -eu
cd "$(dirname "$0")/.."
scripts/init_db.sh
if [ "$#" -eq 0 ]; then
    set -- "${PYTHON:-python}" manage.py runserver --insecure 0.0.0.0:8000
fi
exec "$@"
