"""One self-contained HTML page of charts (plotly), per tenant and overall.

Self-contained means it renders with no network: plotly.js is inlined once in the page
(``plotly.offline.get_plotlyjs()``), every figure is a ``<div>`` plus an inline
``Plotly.newPlot`` call, no MathJax, no CDN, no web fonts.

Who computes what: each tenant's section is computed as the app role inside that tenant's
context (so the page shows what RLS lets the tenant see); the overall section comes from one
replication-role run over all tenants. With ``tenants`` restricted (``--tenant``) the overall
section is left out: a tenant's report must not carry other tenants' numbers.

Every section shows all twenty metrics, each chart with its definition text beside it
(from the catalog, the same text ``metrics --list --json`` prints), and the rows per table;
the overall section adds the per-tenant comparison table. Callers may append their own
sections (``extra_sections``): the lake's "lake vs source" page uses that hook.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from django.db import connections
from plotly.offline import get_plotlyjs

from analytics.definitions import load_queries, row_counts_sql
from analytics.formatting import cell
from analytics.report_charts import METRIC_CHARTS, MetricChart, metric_figure
from analytics.report_data import WEEKDAYS, Section, build_section, tenant_comparison
from analytics.runner import Result, TenantRef, run_as_replication, run_for_tenant
from tenancy import tenant_context

#: The fixed charts of every section, in page order: (suffix of the div id, heading, definition it draws).
FIXED_CHARTS = (
    ("revenue", "Revenue per day (completed orders; dotted: booked, open orders included)", "revenue_per_day"),
    ("weekday", "Weekly rhythm", "revenue_by_weekday"),
    ("status", "Orders by status", "orders_by_status"),
    ("funnel", "Conversion funnel", "conversion_funnel"),
    ("cohorts", "Cohort retention", "customer_retention_cohorts"),
    ("mrr_over_time", "MRR over time (complete months; the current month is not over)", "mrr_over_time"),
)
#: Every chart of a section: the fixed ones, then one per remaining metric (suffix = metric name).
CHARTS = tuple((suffix, heading) for suffix, heading, _ in FIXED_CHARTS) + tuple(
    (spec.metric, "") for spec in METRIC_CHARTS
)
PALETTE = {"completed": "#2e7d32", "processing": "#1565c0", "pending": "#f9a825", "cancelled": "#c62828"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


@dataclass(frozen=True)
class ExtraSection:
    """A section another package adds to the page (e.g. the lake's "lake vs source"): ready HTML.

    ``html`` is inserted as it is (build it with :func:`html_table` and :func:`figure_html`, which
    escape their input); ``key`` becomes the anchor in the navigation bar.
    """

    key: str
    title: str
    html: str


def _row_counts(cursor) -> Result:
    cursor.execute(row_counts_sql("postgres"))
    rows = [(table, uuid.UUID(str(tenant)), count) for table, tenant, count in cursor.fetchall()]
    return Result([c[0] for c in cursor.description], rows)


def _rows_as_tenant(tenant_id: uuid.UUID) -> Result:
    """Rows per table as the app role: RLS counts this tenant's rows only."""
    with tenant_context(tenant_id), connections["default"].cursor() as cursor:
        return _row_counts(cursor)


def _rows_as_replication(conn) -> Result:
    with conn.cursor() as cursor:
        return _row_counts(cursor)


def tenant_sections(tenants: Sequence[TenantRef]) -> list[Section]:
    """One section per tenant, computed as the app role under its tenant context."""
    queries = load_queries()
    sections = []
    for tenant in tenants:
        results = {name: run_for_tenant(query, tenant.id) for name, query in queries.items()}
        sections.append(build_section(tenant.slug, tenant.name, results, subtitle=f"tenant {tenant.slug}",
                                      labels={tenant.id: tenant.slug}, row_counts=_rows_as_tenant(tenant.id)))
    return sections


def overall_section(conn, tenants: Sequence[TenantRef]) -> Section:
    """All tenants together, from one replication-role run per query, plus revenue per tenant."""
    queries = load_queries()
    labels = {t.id: t.slug for t in tenants}
    wanted = set(labels)
    results = {}
    for name, query in queries.items():
        everything = run_as_replication(conn, query)
        results[name] = Result(everything.columns, [r for r in everything.rows if r[0] in wanted])
    section = build_section("overall", "All tenants", results,
                            subtitle=f"{len(tenants)} tenants, read as the replication role",
                            labels=labels, row_counts=_rows_as_replication(conn), overall=True)
    return section


def _layout(fig: go.Figure, **extra: object) -> go.Figure:
    layout: dict[str, object] = {"template": "plotly_white", "height": 330, "font": {"size": 12},
                                 "margin": {"l": 55, "r": 20, "t": 30, "b": 45},
                                 "legend": {"orientation": "h", "y": -0.2}}
    fig.update_layout(**{**layout, **extra})
    return fig


def _empty(fig: go.Figure, text: str = "no data") -> go.Figure:
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 16})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def revenue_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.daily:
        return _layout(_empty(fig))
    days = [d for d, _, _ in section.daily]
    fig.add_trace(go.Bar(x=days, y=[r for _, r, _ in section.daily], name="revenue per day",
                         marker_color="#90caf9"))
    fig.add_trace(go.Scatter(x=days, y=section.rolling(7), name="7-day average", mode="lines",
                             line={"color": "#0d47a1", "width": 2.5}))
    fig.add_trace(go.Scatter(x=days, y=section.rolling(7, booked=True), name="booked, 7-day average",
                             mode="lines", line={"color": "#ef6c00", "width": 1.5, "dash": "dot"},
                             hovertemplate="%{y:,.0f} incl. pending and processing<extra></extra>"))
    return _layout(fig, yaxis_title="revenue", bargap=0.05)


def weekday_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.daily:
        return _layout(_empty(fig))
    means = section.weekday_means()
    colors = ["#ef6c00" if k >= 5 else "#5c6bc0" for k in range(7)]
    fig.add_trace(go.Bar(x=list(WEEKDAYS), y=means, marker_color=colors, name="mean revenue per day",
                         text=[f"{m:,.0f}" for m in means], textposition="outside"))
    return _layout(fig, yaxis_title="mean revenue per day", showlegend=False)


def status_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.status:
        return _layout(_empty(fig))
    fig.add_trace(go.Bar(x=[s for s, _ in section.status], y=[n for _, n in section.status],
                         marker_color=[PALETTE.get(s, "#78909c") for s, _ in section.status],
                         text=[f"{n:,}" for _, n in section.status], textposition="outside"))
    return _layout(fig, yaxis_title="orders", showlegend=False)


def funnel_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.funnel or not section.funnel[0][1]:
        return _layout(_empty(fig))
    fig.add_trace(go.Funnel(y=[s.replace("_", " ") for s, _ in section.funnel], x=[n for _, n in section.funnel],
                            textinfo="value+percent initial", marker={"color": "#26a69a"}))
    return _layout(fig, margin={"l": 110, "r": 20, "t": 30, "b": 30})


def cohort_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.cohorts:
        return _layout(_empty(fig))
    labels = [f"{c:%Y-%m} (n={n})" for c, n in zip(section.cohorts, section.cohort_sizes, strict=True)]
    width = len(section.retention[0]) if section.retention else 0
    text = [["" if v is None else f"{v:.0%}" for v in row] for row in section.retention]
    fig.add_trace(go.Heatmap(z=section.retention, x=[f"+{k}" for k in range(width)], y=labels, text=text,
                             texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
                             colorbar={"title": "retained", "tickformat": ".0%"}, hoverongaps=False))
    return _layout(fig, xaxis_title="months since first order", yaxis={"autorange": "reversed"})


def mrr_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.mrr:
        return _layout(_empty(fig, "no subscriptions"))
    fig.add_trace(go.Scatter(x=[d for d, _ in section.mrr], y=[v for _, v in section.mrr], mode="lines+markers",
                             fill="tozeroy", line={"color": "#6a1b9a"}, name="MRR at month end"))
    return _layout(fig, yaxis_title="MRR", showlegend=False)


FIGURES = {"revenue": revenue_figure, "weekday": weekday_figure, "status": status_figure,
           "funnel": funnel_figure, "cohorts": cohort_figure, "mrr_over_time": mrr_figure}


def chart_id(section: Section, suffix: str) -> str:
    return f"chart-{section.key}-{suffix}"


def html_table(columns: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = "") -> str:
    """A plain HTML table (escaped; numbers right-aligned and formatted as the text tables are)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for value in row:
            numeric = isinstance(value, int | float) or type(value).__name__ == "Decimal"
            cells.append(f'<td class="{"num" if numeric else "txt"}">{html.escape(cell(value))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<div class="table"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def figure_html(fig: go.Figure, div_id: str, heading: str, *, name: str = "", definition: str = "",
                wide: bool = False) -> str:
    """One chart card: the heading, the metric's name and definition right under it, then the plot.

    (Under the heading rather than in a column beside the plot: plotly's responsive plots take
    the card's whole width and would push a side column out of view.)
    """
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG,
                      default_height="330px")
    about = ""
    if definition or name:
        code = f"<code>{html.escape(name)}</code> " if name else ""
        about = f'<p class="definition">{code}{html.escape(definition)}</p>'
    cls = "chart wide" if wide else "chart"
    return (f'<figure class="{cls}"><figcaption>{html.escape(heading)}</figcaption>'
            f'{about}<div class="plot">{div}</div></figure>')


def _metric_chart(section: Section, spec: MetricChart) -> str:
    definition = load_queries()[spec.metric]
    result = section.results.get(spec.metric)
    fig = metric_figure(spec, result, section.labels) if result is not None else go.Figure()
    if result is None or not result.rows:
        fig = _empty(fig)
    text = definition.description + (f" {spec.note}" if spec.note else "")
    return figure_html(_layout(fig), chart_id(section, spec.metric), definition.title, name=definition.name,
                       definition=text)


def _row_counts_html(section: Section) -> str:
    if not section.row_counts:
        return ""
    labels = sorted({label for counts in section.row_counts.values() for label in counts})
    tables = sorted(section.row_counts)
    # One row per table, full names (never cut); the overall section adds a column per tenant.
    per_tenant = labels if section.overall else []
    columns = ["table", "rows", *per_tenant]
    rows = [(t, sum(section.row_counts[t].values()), *(section.row_counts[t].get(label, 0) for label in per_tenant))
            for t in tables]
    rows.append(("all tables", sum(sum(c.values()) for c in section.row_counts.values()),
                 *(sum(c.get(label, 0) for c in section.row_counts.values()) for label in per_tenant)))
    return html_table(columns, rows, caption="Rows per table")


def _comparison_html(section: Section) -> str:
    if not section.overall:
        return ""
    columns, rows = tenant_comparison(section.results, section.labels)
    return html_table(columns, rows, caption="Tenants side by side (ratios recomputed from each tenant's sums)")


def _kpis(section: Section) -> str:
    aov = f"{section.aov:,.2f}" if section.aov is not None else "-"
    items = [("Completed revenue", f"{section.revenue:,.0f}"), ("Completed orders", f"{section.completed_orders:,}"),
             ("Average order value", aov), ("MRR now", f"{section.current_mrr:,.0f}")]
    return "".join(f'<div class="kpi"><span>{html.escape(k)}</span><b>{html.escape(v)}</b></div>' for k, v in items)


def _section_html(section: Section) -> str:
    queries = load_queries()
    charts = []
    for suffix, heading, name in FIXED_CHARTS:
        definition = queries[name]
        charts.append(figure_html(FIGURES[suffix](section), chart_id(section, suffix), heading, name=name,
                                  definition=definition.description))
    charts += [_metric_chart(section, spec) for spec in METRIC_CHARTS]
    tables = _comparison_html(section) + _row_counts_html(section)
    return (
        f'<section id="{html.escape(section.key)}"><h2>{html.escape(section.title)}'
        f' <small>{html.escape(section.subtitle)}</small></h2>'
        f'<div class="kpis">{_kpis(section)}</div><div class="tables">{tables}</div>'
        f'<div class="grid">{"".join(charts)}</div></section>'
    )


def _extra_html(extra: ExtraSection) -> str:
    return f'<section id="{html.escape(extra.key)}"><h2>{html.escape(extra.title)}</h2>{extra.html}</section>'


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2733}
header{background:#1d2733;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#b8c2cc;font-size:13px}nav{padding:10px 28px;background:#fff;border-bottom:1px solid #dde}
nav a{margin-right:14px;color:#1565c0;text-decoration:none;font-size:14px}
section{padding:8px 28px 20px}h2{font-size:19px;margin:18px 0 8px}h2 small{color:#66727f;font-weight:normal}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:10px}
.kpi{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:8px 14px;min-width:150px}
.kpi span{display:block;font-size:12px;color:#66727f}.kpi b{font-size:18px}
.tables{display:flex;flex-direction:column;gap:12px;margin-bottom:12px}
.table{overflow-x:auto;background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:6px 8px}
table{border-collapse:collapse;font-size:12px}caption{text-align:left;font-weight:600;padding:4px 6px}
th{text-align:right;padding:4px 6px;border-bottom:1px solid #cfd6de;font-weight:600;vertical-align:bottom;
max-width:9em}
th:first-child,td.txt{text-align:left}td{padding:3px 6px;white-space:nowrap}td.num{text-align:right}
tbody tr:nth-child(even){background:#f7f9fb}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(640px,1fr));gap:14px}
.chart{background:#fff;border:1px solid #e1e4e8;border-radius:6px;margin:0;padding:8px}
.chart.wide{grid-column:1/-1}.chart figcaption{font-size:14px;font-weight:600;padding:2px 6px 4px}
.definition{font-size:12px;color:#4a5560;margin:0 6px 4px;line-height:1.4}
.definition code{color:#1565c0;margin-right:4px}
footer{padding:14px 28px;color:#66727f;font-size:12px}
"""


def render_html(sections: Sequence[Section], *, title: str, generated: dt.datetime, note: str = "",
                extra_sections: Sequence[ExtraSection] = ()) -> str:
    """The whole page; plotly.js is inlined exactly once. ``extra_sections`` come after the others."""
    nav = "".join(f'<a href="#{html.escape(s.key)}">{html.escape(s.title)}</a>' for s in (*sections, *extra_sections))
    body = "".join(_section_html(s) for s in sections) + "".join(_extra_html(e) for e in extra_sections)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><meta name=\"viewport\" content=\"width=device-width\">"
        f"<style>{CSS}</style><script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>Generated {generated:%Y-%m-%d %H:%M} UTC. {html.escape(note)}</p>"
        f"</header><nav>{nav}</nav>{body}"
        "<footer>Revenue counts completed orders. Definitions: analytics/metrics/ "
        "(see docs/METRICS_EXAMPLES.md).</footer></body></html>"
    )
