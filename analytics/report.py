"""One self-contained HTML page of charts (plotly), per tenant and overall.

Self-contained means it renders with no network: plotly.js is inlined once in the page
(``plotly.offline.get_plotlyjs()``), every figure is a ``<div>`` plus an inline
``Plotly.newPlot`` call, no MathJax, no CDN, no web fonts.

Who computes what: each tenant's section is computed as the app role inside that tenant's
context (so the page shows what RLS lets the tenant see); the overall section comes from one
replication-role run over all tenants. With ``tenants`` restricted (``--tenant``) the overall
section is left out: a tenant's report must not carry other tenants' numbers.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from analytics.definitions import load_queries
from analytics.report_data import SECTION_QUERIES, WEEKDAYS, Section, build_section, tenant_months
from analytics.runner import TenantRef, run_as_replication, run_for_tenant

#: The charts of every section, in page order: (suffix of the div id, heading).
CHARTS = (
    ("revenue", "Revenue per day (completed orders; dotted: booked, open orders included)"),
    ("weekday", "Weekly rhythm"),
    ("status", "Orders by status"),
    ("funnel", "Conversion funnel"),
    ("cohorts", "Cohort retention"),
    ("mrr", "MRR over time"),
)
PALETTE = {"completed": "#2e7d32", "processing": "#1565c0", "pending": "#f9a825", "cancelled": "#c62828"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def tenant_sections(tenants: Sequence[TenantRef]) -> list[Section]:
    """One section per tenant, computed as the app role under its tenant context."""
    queries = load_queries()
    sections = []
    for tenant in tenants:
        results = {name: run_for_tenant(queries[name], tenant.id) for name in SECTION_QUERIES}
        sections.append(build_section(tenant.slug, tenant.name, results, subtitle=f"tenant {tenant.slug}"))
    return sections


def overall_section(conn, tenants: Sequence[TenantRef]) -> Section:
    """All tenants together, from one replication-role run per query, plus revenue per tenant."""
    queries = load_queries()
    results = {name: run_as_replication(conn, queries[name]) for name in SECTION_QUERIES}
    section = build_section("overall", "All tenants", results,
                            subtitle=f"{len(tenants)} tenants, read as the replication role")
    monthly = run_as_replication(conn, queries["revenue_by_tenant_over_time"])
    section.tenant_months = tenant_months(monthly, {t.id: t.slug for t in tenants})
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


def tenants_figure(section: Section) -> go.Figure:
    fig = go.Figure()
    if not section.tenant_months:
        return _layout(_empty(fig))
    for label, points in section.tenant_months.items():
        fig.add_trace(go.Scatter(x=[m for m, _ in points], y=[v for _, v in points], mode="lines+markers",
                                 name=label))
    return _layout(fig, yaxis_title="completed revenue per month", height=380,
                   legend={"orientation": "v", "x": 1.02, "y": 1})


#: Charts only the overall section has (it alone may compare tenants).
OVERALL_CHARTS = (("tenants", "Revenue by tenant per month (the first and last months are partial)"),)

FIGURES = {"tenants": tenants_figure, "revenue": revenue_figure, "weekday": weekday_figure, "status": status_figure,
           "funnel": funnel_figure, "cohorts": cohort_figure, "mrr": mrr_figure}


def chart_id(section: Section, suffix: str) -> str:
    return f"chart-{section.key}-{suffix}"


def _kpis(section: Section) -> str:
    aov = f"{section.aov:,.2f}" if section.aov is not None else "-"
    items = [("Completed revenue", f"{section.revenue:,.0f}"), ("Completed orders", f"{section.completed_orders:,}"),
             ("Average order value", aov), ("MRR now", f"{section.current_mrr:,.0f}")]
    return "".join(f'<div class="kpi"><span>{html.escape(k)}</span><b>{html.escape(v)}</b></div>' for k, v in items)


def _section_html(section: Section) -> str:
    charts = []
    extra = OVERALL_CHARTS if section.tenant_months else ()
    for suffix, heading in (*extra, *CHARTS):
        fig = FIGURES[suffix](section)
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id(section, suffix),
                          config=PLOT_CONFIG, default_height="330px")
        wide = " wide" if suffix in dict(OVERALL_CHARTS) else ""
        charts.append(f'<figure class="chart{wide}"><figcaption>{html.escape(heading)}</figcaption>{div}</figure>')
    return (
        f'<section id="{html.escape(section.key)}"><h2>{html.escape(section.title)}'
        f' <small>{html.escape(section.subtitle)}</small></h2>'
        f'<div class="kpis">{_kpis(section)}</div><div class="grid">{"".join(charts)}</div></section>'
    )


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2733}
header{background:#1d2733;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#b8c2cc;font-size:13px}nav{padding:10px 28px;background:#fff;border-bottom:1px solid #dde}
nav a{margin-right:14px;color:#1565c0;text-decoration:none;font-size:14px}
section{padding:8px 28px 20px}h2{font-size:19px;margin:18px 0 8px}h2 small{color:#66727f;font-weight:normal}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:10px}
.kpi{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:8px 14px;min-width:150px}
.kpi span{display:block;font-size:12px;color:#66727f}.kpi b{font-size:18px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.chart{background:#fff;border:1px solid #e1e4e8;border-radius:6px;margin:0;padding:8px}
.chart.wide{grid-column:1/-1}.chart figcaption{font-size:14px;font-weight:600;padding:2px 6px 4px}
footer{padding:14px 28px;color:#66727f;font-size:12px}
"""


def render_html(sections: Sequence[Section], *, title: str, generated: dt.datetime, note: str = "") -> str:
    """The whole page; plotly.js is inlined exactly once."""
    nav = "".join(f'<a href="#{html.escape(s.key)}">{html.escape(s.title)}</a>' for s in sections)
    body = "".join(_section_html(s) for s in sections)
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><meta name=\"viewport\" content=\"width=device-width\">"
        f"<style>{CSS}</style><script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>Generated {generated:%Y-%m-%d %H:%M} UTC. {html.escape(note)}</p>"
        f"</header><nav>{nav}</nav>{body}"
        "<footer>Revenue counts completed orders. Definitions: analytics/metrics/ "
        "(see docs/METRICS_EXAMPLES.md).</footer></body></html>"
    )
