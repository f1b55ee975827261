"""One chart per metric, drawn from the metric's own result rows (one tenant, or every tenant).

Each chart is a :class:`MetricChart`: which columns go on the axes and how traces split. A
section with one tenant gets one trace per series; the overall section gets one per tenant,
which is the per-tenant comparison the charts are for. Nothing here computes a figure the
SQL did not: rows are plotted as the metric returned them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from analytics.runner import Result

Row = dict[str, Any]


@dataclass(frozen=True)
class MetricChart:
    """How to draw one metric.

    ``style``: ``line`` (x over time, a line per tenant), ``bars`` (grouped bars per tenant),
    ``stack`` (stacked bars per tenant), ``tenant_bars`` (x = tenant, a bar per column of
    ``y``), ``series_stack`` (stacked bars, one trace per value of ``series``, summed over
    tenants), ``columns_stack`` (x = the columns of ``y``, stacked per tenant).
    """

    metric: str
    style: str
    y: tuple[str, ...]
    x: str = ""
    series: str = ""
    hover: str = ""
    where: Callable[[Row], bool] | None = None
    percent: bool = False
    note: str = ""


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else None


METRIC_CHARTS: tuple[MetricChart, ...] = (
    MetricChart("revenue_by_tenant_over_time", "line", ("revenue",), x="month",
                note="The first and last months are usually partial."),
    MetricChart("average_order_value", "tenant_bars", ("aov", "median_order_value")),
    MetricChart("revenue_growth", "line", ("run_rate_growth",), x="period_start", percent=True,
                where=lambda r: r["period_type"] == "month",
                note="Month over month, on revenue per covered day (fair to partial months)."),
    MetricChart("category_performance", "stack", ("revenue",), x="category"),
    MetricChart("customer_acquisition", "stack", ("new_customers",), x="month"),
    MetricChart("customer_lifetime_value", "tenant_bars", ("avg_clv", "median_clv", "p90_clv")),
    MetricChart("customer_churn", "tenant_bars", ("churn_rate", "inactive_share"), percent=True),
    MetricChart("best_selling_products", "bars", ("units_sold",), x="sales_rank", hover="name"),
    MetricChart("inventory_turnover", "bars", ("annual_turnover",), x="category"),
    MetricChart("product_profitability", "bars", ("gross_profit",), x="profit_rank", hover="name"),
    MetricChart("category_trends", "series_stack", ("revenue",), x="month", series="category"),
    MetricChart("session_duration_trends", "line", ("avg_duration_s",), x="week"),
    MetricChart("cart_abandonment", "line", ("cart_abandonment_rate",), x="month", percent=True),
    MetricChart("engagement_score", "columns_stack", ("high", "medium", "low")),
    MetricChart("mrr", "tenant_bars", ("mrr", "trial_pipeline_mrr")),
    MetricChart("subscription_churn", "line", ("churn_rate",), x="month", percent=True),
    MetricChart("plan_distribution", "stack", ("active",), x="plan"),
    MetricChart("payment_success_rate", "line", ("payment_success_rate", "on_time_rate"), x="month", percent=True),
)


def _rows(result: Result, spec: MetricChart) -> list[Row]:
    rows = result.dicts()
    if spec.metric == "plan_distribution":
        rows = [{**r, "plan": f"{r['plan_name']} ({r['billing_cycle']})"} for r in rows]
    return [r for r in rows if spec.where is None or spec.where(r)]


def metric_figure(spec: MetricChart, result: Result, labels: Mapping[Any, str]) -> go.Figure:
    """The figure of one metric; an empty result gives an empty figure (the caller says so)."""
    fig = go.Figure()
    rows = _rows(result, spec)

    def label(row: Row) -> str:
        return labels.get(row["tenant_id"], str(row["tenant_id"])[:8])

    per_tenant: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        per_tenant[label(row)].append(row)
    many = len(per_tenant) > 1

    if spec.style in ("line", "bars", "stack"):
        for tenant, tenant_rows in per_tenant.items():
            for column in spec.y:
                name = f"{tenant} {column}" if many and len(spec.y) > 1 else (tenant if many else column)
                kwargs: dict[str, Any] = {"x": [r[spec.x] for r in tenant_rows],
                                          "y": [_number(r[column]) for r in tenant_rows], "name": name}
                if spec.hover:
                    kwargs["text"] = [str(r[spec.hover]) for r in tenant_rows]
                    kwargs["hovertemplate"] = "%{text}: %{y:,}<extra>" + tenant + "</extra>"
                if spec.style == "line":
                    fig.add_trace(go.Scatter(mode="lines+markers", **kwargs))
                else:
                    fig.add_trace(go.Bar(**kwargs))
        if spec.style == "stack":
            fig.update_layout(barmode="stack")
    elif spec.style == "tenant_bars":
        tenants = list(per_tenant)
        for column in spec.y:
            fig.add_trace(go.Bar(x=tenants, y=[_number(per_tenant[t][0][column]) for t in tenants], name=column))
    elif spec.style == "series_stack":
        totals: dict[str, dict[Any, float]] = defaultdict(lambda: defaultdict(float))
        for row in rows:
            totals[str(row[spec.series])][row[spec.x]] += _number(row[spec.y[0]]) or 0.0
        for series, points in sorted(totals.items()):
            xs = sorted(points)
            fig.add_trace(go.Bar(x=xs, y=[points[x] for x in xs], name=series))
        fig.update_layout(barmode="stack")
    elif spec.style == "columns_stack":
        for tenant, tenant_rows in per_tenant.items():
            fig.add_trace(go.Bar(x=list(spec.y), y=[_number(tenant_rows[0][c]) for c in spec.y], name=tenant))
        fig.update_layout(barmode="stack")
    else:  # pragma: no cover - a spec typo, caught by the report tests
        raise ValueError(f"unknown chart style {spec.style!r}")
    if spec.percent:
        fig.update_yaxes(tickformat=".0%")
    if spec.x in ("sales_rank", "profit_rank"):
        fig.update_xaxes(title_text="rank", dtick=1)
    return fig
