"""``manage.py rls_audit [--json] [--sql]``: the security review of the live database.

Which connection: the **owner** role by default. Catalogs are readable by every role, but
the drift check creates a TEMP probe table (in a transaction that is rolled back), which
needs the TEMPORARY privilege: the owner has it as owner of the database; the replication
role deliberately has not, and the admin is a superuser we do not want in routine use. The
owner URL is also what the docker entrypoint already holds for ``migrate``. ``--role``
picks another (a role that cannot create the probe yields a high DRIFT_UNVERIFIED finding).

With an admin credential (``DATABASE_ADMIN_URL`` or the embedded server's) it also checks
what only a superuser can read: whether a role's password still is the configured one
(its SCRAM verifier) and whether pg_hba.conf admits physical replication.

Exit status: 1 (``CommandError``) when any finding is high or critical. ``--sql`` prints the
reviewable DDL (``docs/policies.sql``) and does not gate.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg2
from django.core.management.base import BaseCommand, CommandError

from project.database import connect, role_credentials
from rls.audit import audit, policy_script, render_text


class Command(BaseCommand):
    help = ("Audit tenant isolation in the live database (RLS, policies, grants, roles, SECURITY DEFINER "
            "functions, drift from rls/). Exits non-zero on any high or critical finding.")

    def add_arguments(self, parser: Any) -> None:
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="Print the full report as JSON.")
        output.add_argument("--sql", action="store_true",
                            help="Print the DDL of roles, grants and policies plus the live catalog "
                                 "(the content of docs/policies.sql).")
        parser.add_argument("--database", help="Database to audit (default: the configured one).")
        parser.add_argument("--role", default="owner", choices=("owner", "admin", "app", "replication"),
                            help="Role to connect as (default: owner; see the module docstring).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection = connect(options["role"], dbname=options["database"])
        except psycopg2.Error as exc:
            reason = str(exc).strip().rstrip(".")
            raise CommandError(f"rls_audit cannot connect as the {options['role']} role: {reason}. "
                               "Start the server and run bootstrap_db first.") from exc
        admin = _admin_connection(options["database"])
        passwords = {creds.name: creds.password for creds in role_credentials().values()}
        try:
            report = audit(connection, admin=admin, passwords=passwords)
        except psycopg2.Error as exc:
            raise CommandError(f"rls_audit could not read the catalog: {str(exc).strip()}") from exc
        finally:
            connection.close()
            if admin is not None:
                admin.close()

        if options["sql"]:
            self.stdout.write(policy_script(report), ending="")
            return
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, sort_keys=True))
        else:
            self.stdout.write(render_text(report), ending="")
        if report.blocking:
            codes = sorted({f"{finding.code}" for finding in report.blocking})
            raise CommandError(f"rls_audit: {len(report.blocking)} high or critical finding(s) in database "
                               f"{report.database}: {', '.join(codes)}")


def _admin_connection(database: str | None):
    """A superuser connection for the checks only it can make (passwords, pg_hba), or None.

    Read-only use: SCRAM verifiers of the project's roles and ``pg_hba_file_rules``. Where
    no admin credential is configured the audit says what it skipped (an info finding).
    """


    try:
        return connect("admin", dbname=database)
    except psycopg2.Error:
        return None
