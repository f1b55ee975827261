"""``manage.py report``: one self-contained HTML page of charts, per tenant and overall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.collect import SelectionError, select_tenants
from analytics.report import overall_section, render_html, tenant_sections
from analytics.runner import replication_connection


def _probe_writable(out: Path) -> None:
    """Fail before the work, not after it: open the file for appending (and remove it if we made it)."""
    existed = out.exists()
    try:
        with out.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if not existed:
        out.unlink(missing_ok=True)


class Command(BaseCommand):
    help = (
        "Write one self-contained HTML page (plotly inlined, renders offline) with revenue per day, the weekly "
        "rhythm, orders by status, the funnel, cohort retention and MRR over time: an overall section (read "
        "as the replication role) and one per tenant (computed as the app role under its tenant context). "
        "With --tenant only those tenants' sections are written, without the overall one."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", action="append", metavar="SLUG",
                            help="only this tenant (repeatable); leaves out the cross-tenant section")
        parser.add_argument("--out", default="report.html", metavar="PATH",
                            help="where to write the page (default: report.html)")
        parser.add_argument("--title", default="Lakehouse source: seeded history", help="page title")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: folder {out.parent} does not exist")
        if out.is_dir():
            raise CommandError(f"cannot write {out}: it is a folder; give a file name such as {out / 'report.html'}")
        _probe_writable(out)
        conn = replication_connection()
        try:
            try:
                tenants = select_tenants(conn, options["tenant"])
            except SelectionError as exc:
                raise CommandError(str(exc)) from exc
            sections = [] if options["tenant"] else [overall_section(conn, tenants)]
        finally:
            conn.close()
        sections += tenant_sections(tenants)
        note = "Per-tenant sections are computed as the app role inside each tenant's context (RLS)."
        page = render_html(sections, title=options["title"], generated=timezone.now(), note=note)
        try:
            out.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from exc
        charts = sum(page.count(f'id="chart-{s.key}-') for s in sections)
        self.stdout.write(f"wrote {out} ({len(page) / 1e6:.1f} MB): {len(sections)} sections, {charts} charts")
