"""``manage.py bench_context``: latency of entering + leaving ``tenant_context``, as JSON.

Variants (interleaved in one run, see :mod:`rls.bench`): ``unsigned_reference`` (the
context before signing), ``signed`` (a top-level ``tenant_context``: reset, binding, proof,
verification) and ``signed_nested`` (a context inside another one: proof and verification
only). Prints medians, p95 and each median's ratio to the reference measured in the same run.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections, transaction

from rls.bench import interleaved_timings, summarise
from rls.sql import SET_TENANT_SQL


class Command(BaseCommand):
    help = "Measure tenant_context entry + exit latency (signed) against the unsigned form, as JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--iterations", type=int, default=500, help="rounds (each runs every variant once)")
        parser.add_argument("--database", default="default", help="database alias (default: the app role's)")

    def handle(self, *args: Any, **options: Any) -> None:
        from tenancy import TenantContextRejected, tenant_context

        if options["iterations"] < 10:
            raise CommandError("--iterations must be at least 10.")
        using = options["database"]
        connection = connections[using]
        tenant = uuid.uuid4()  # the verifier checks the proof, not that the tenant exists

        def unsigned_reference() -> None:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(SET_TENANT_SQL, [str(tenant)])
                cursor.execute(SET_TENANT_SQL, [""])

        def signed() -> None:
            with tenant_context(tenant, using=using):
                pass

        def signed_nested() -> None:
            with tenant_context(tenant, using=using):
                pass

        outer = uuid.uuid4()
        try:
            samples = interleaved_timings({"unsigned_reference": unsigned_reference, "signed": signed},
                                          options["iterations"])
            with tenant_context(outer, using=using):
                samples.update(interleaved_timings({"signed_nested": signed_nested}, options["iterations"]))
        except TenantContextRejected as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"bench_context could not run against the database: {str(exc).strip()}") from exc
        finally:
            connection.close()
        report = summarise(samples, "unsigned_reference")
        report["database"] = str(connection.settings_dict["NAME"])
        self.stdout.write(json.dumps(report, indent=2, sort_keys=True))
