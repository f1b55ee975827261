#!/bin/sh
# Create roles and database, migrate, and audit tenant isolation (idempotent).
#
# Connection settings come from the environment exactly as for manage.py (.env.example):
# DATABASE_HOST/PORT/NAME plus the role variables, or nothing for the embedded server.
# Set PYTHON to choose the interpreter (default: python; use .venv/bin/python locally).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

"$PYTHON" manage.py bootstrap_db                    # admin: roles, database, grants, resolver
"$PYTHON" manage.py migrate --database owner --noinput -v 1 # owner: tables, RLS + FORCE, policies, FKs
"$PYTHON" manage.py rls_audit > /dev/null || {      # owner: read-only audit of the live catalog
    "$PYTHON" manage.py rls_audit --json >&2 || true
    echo "init_db: rls_audit found high or critical findings; refusing to continue" >&2
    exit 1
}
"$PYTHON" manage.py check --database default       # app: the runtime connection cannot bypass RLS
echo "init_db: database ready and rls_audit passed"
