"""The report section "lake vs source": row counts per table, freshness, Gold metrics from both engines.

``lake_vs_source_section(report)`` is an ``analytics.report.ExtraSection`` for
``render_html(..., extra_sections=[...])``; ``lake_vs_source_html(report)`` is its HTML body.
Everything shown comes from one :class:`~lakehouse.verify.VerifyReport`, so the page and
``lake_verify`` never disagree. Tables are built with the report's own ``html_table`` (escaped).
"""

from __future__ import annotations

from html import escape
from typing import Any

from analytics.report import ExtraSection, html_table
from lakehouse.verify import VerifyReport

SECTION_KEY = "lake-vs-source"


def _seconds(value: Any) -> str:
    return "–" if value is None else f"{value:.2f} s"


def lake_vs_source_html(report: VerifyReport) -> str:
    verdict = "the lake equals the source" if report.ok else "the lake DIFFERS from the source"
    fresh = report.freshness
    parts = [
        f"<p><strong>{escape(verdict)}</strong>: {len(report.tables)} table/tenant pairs compared by row count "
        f"and fingerprint, {report.metrics_checked} Gold metrics compared with PostgreSQL.</p>",
        html_table(["table", "source rows", "lake rows (Silver)", "equal"],
                   [(t, c["source"], c["lake"], "yes" if c["source"] == c["lake"] else "NO")
                    for t, c in sorted(report.rows.items())], caption="Rows per table"),
        f"<p>Freshness, commit → visible in Silver, over {escape(str(fresh.get('cdc_rows', 0)))} CDC rows: "
        f"p50 {_seconds(fresh.get('p50_seconds'))}, p95 {_seconds(fresh.get('p95_seconds'))}, "
        f"max {_seconds(fresh.get('max_seconds'))}.</p>",
        html_table(["table", "watermark (change_seq)", "last commit"],
                   [(t, m["change_seq"], m["commit_timestamp"] or "–")
                    for t, m in sorted(fresh.get("watermarks", {}).items())], caption="Watermarks"),
        html_table(["metric", "PostgreSQL rows", "lake rows (DuckDB over Silver)", "differing values"],
                   [(m["title"], m["source_rows"], m["lake_rows"], m["differences"]) for m in report.metrics],
                   caption="Gold metrics from both engines"),
    ]
    if report.table_differences:
        parts.append(html_table(
            ["table", "tenant", "differing keys", "missing in lake", "extra in lake", "changed"],
            [(c.table, c.tenant, c.differing_keys, ", ".join(c.missing_in_lake), ", ".join(c.extra_in_lake),
              ", ".join(c.changed)) for c in report.table_differences],
            caption="Differences"))
    return "\n".join(parts)


def lake_vs_source_section(report: VerifyReport) -> ExtraSection:
    return ExtraSection(SECTION_KEY, "Lake vs source", lake_vs_source_html(report))
