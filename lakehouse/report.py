"""The report section "lake vs source": row counts per table, freshness, Gold metrics from both engines.

Returns an HTML fragment (a ``<section>``) that the analytics report includes next to its own
pages (``render_html(..., extra_sections=[...])``); everything shown comes from one
:class:`~lakehouse.verify.VerifyReport`, so the page and ``lake_verify`` never disagree.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lakehouse.verify import VerifyReport


def _seconds(value: Any) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _row(*cells: Any, bad: bool = False) -> str:
    style = ' class="diff"' if bad else ""
    return f"<tr{style}>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"


def lake_vs_source_html(report: VerifyReport) -> str:
    verdict = "the lake equals the source" if report.ok else "the lake DIFFERS from the source"
    parts = [
        '<section id="lake-vs-source">',
        "<h2>Lake vs source</h2>",
        f"<p><strong>{escape(verdict)}</strong>: {len(report.tables)} table/tenant pairs compared by row count "
        f"and fingerprint, {report.metrics_checked} Gold metrics compared with PostgreSQL.</p>",
        "<h3>Rows per table</h3>",
        "<table><thead><tr><th>table</th><th>source</th><th>lake (Silver)</th></tr></thead><tbody>",
    ]
    for table, counts in sorted(report.rows.items()):
        parts.append(_row(table, counts["source"], counts["lake"], bad=counts["source"] != counts["lake"]))
    parts.append("</tbody></table>")
    fresh = report.freshness
    parts += [
        "<h3>Freshness (commit → visible in Silver)</h3>",
        f"<p>{escape(str(fresh.get('cdc_rows', 0)))} CDC rows; p50 {_seconds(fresh.get('p50_seconds'))}, "
        f"p95 {_seconds(fresh.get('p95_seconds'))}, max {_seconds(fresh.get('max_seconds'))}.</p>",
        "<table><thead><tr><th>table</th><th>watermark (change_seq)</th><th>last commit</th></tr></thead><tbody>",
    ]
    for table, mark in sorted(fresh.get("watermarks", {}).items()):
        parts.append(_row(table, mark["change_seq"], mark["commit_timestamp"] or "–"))
    parts += [
        "</tbody></table>",
        "<h3>Gold metrics: PostgreSQL and DuckDB over Silver</h3>",
        "<table><thead><tr><th>metric</th><th>PostgreSQL rows</th><th>lake rows</th><th>differing values</th>"
        "</tr></thead><tbody>",
    ]
    for metric in report.metrics:
        parts.append(_row(metric["title"], metric["source_rows"], metric["lake_rows"], metric["differences"],
                          bad=bool(metric["differences"])))
    parts.append("</tbody></table>")
    if report.table_differences:
        parts.append("<h3>Differences</h3><ul>")
        for check in report.table_differences:
            parts.append(f"<li>{escape(check.table)} tenant {escape(check.tenant)}: {check.differing_keys} keys "
                         f"(missing {escape(', '.join(check.missing_in_lake))}; extra "
                         f"{escape(', '.join(check.extra_in_lake))}; changed {escape(', '.join(check.changed))})</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)
