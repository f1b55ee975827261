"""``manage.py report``: a self-contained page whose every chart renders in headless Chromium."""

from __future__ import annotations

import datetime as dt
import html
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from analytics.definitions import load_queries, metric_queries
from analytics.report import CHARTS, ExtraSection, html_table, render_html, tenant_sections
from analytics.runner import TenantRef, run_for_tenant
from tests.analytics.browser import chromium, dump_dom, rendered_charts


@pytest.fixture(scope="module")
def report_page(metrics_world, django_db_blocker, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    with django_db_blocker.unblock():
        call_command("report", out=str(out), stdout=StringIO())
        connections["default"].close()
    return out


def expected_chart_ids(page: str) -> list[str]:
    """Every section's charts (from the page's sections, not its divs)."""
    sections = re.findall(r'<section id="([^"]+)"', page)
    return [f"chart-{s}-{suffix}" for s in sections for suffix, _ in CHARTS]


def test_every_metric_is_on_the_page_with_its_definition(report_page: Path, metrics_world) -> None:
    page = report_page.read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([^"]+)"', page)
    for name, definition in metric_queries().items():
        # Each of the twenty appears in every section, its definition text right with its chart.
        assert page.count(f'<p class="definition"><code>{name}</code> ') == len(sections), name
        assert html_escape(definition.description) in page, name
    drawn = {suffix for suffix, _ in CHARTS}
    assert set(metric_queries()) - {"conversion_funnel", "customer_retention_cohorts"} <= drawn


def html_escape(text: str) -> str:
    return html.escape(text)


def test_overall_section_compares_tenants_and_counts_rows(report_page: Path, metrics_world) -> None:
    page = report_page.read_text(encoding="utf-8")
    overall = page.split('<section id="overall">', 1)[1].split("</section>", 1)[0]
    assert "Tenants side by side" in overall and "Rows per table" in overall
    for slug in metrics_world.tenants:
        assert f'<td class="txt">{slug}</td>' in overall, slug
    for table in ("models_app_subscription", "models_app_orderitem", "tenancy_tenant"):
        assert f'<td class="txt">{table}</td>' in overall, "table names are written in full, never cut"


def test_extra_sections_hook(tmp_path: Path) -> None:
    table = html_table(["table", "source", "lake"], [("models_app_order", 3, 3)])
    extra = ExtraSection("lake", "Lake vs source", table)
    page = render_html([], title="t", generated=dt.datetime(2025, 1, 1), extra_sections=[extra])
    assert '<a href="#lake">Lake vs source</a>' in page
    assert '<section id="lake"><h2>Lake vs source</h2>' in page and '<td class="num">3</td>' in page
    hostile = html_table(["<b>"], [("<script>",)])
    assert "<script>" not in hostile and "&lt;b&gt;" in hostile


def test_page_is_self_contained(report_page: Path, metrics_world) -> None:
    page = report_page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page), "scripts must be inline"
    assert not re.search(r"<link[^>]+href=", page), "no external stylesheets"
    body = page.split("</head>", 1)[1]
    assert "cdn.plot.ly" not in body, "figures must not load plotly from a CDN"
    assert body.count("Plotly.newPlot(") == len(expected_chart_ids(page))
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1, "plotly.js is inlined exactly once"
    sections = re.findall(r'<section id="([^"]+)"', page)
    assert sections[0] == "overall" and set(metrics_world.tenants) <= set(sections[1:])
    for slug in metrics_world.tenants:  # the overall section compares tenants, one line each
        assert f'"name":"{slug}"' in body, slug


def test_every_chart_renders_in_headless_chromium(report_page: Path) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    page = report_page.read_text(encoding="utf-8")
    expected = expected_chart_ids(page)
    assert len(expected) >= len(CHARTS) * 3
    before = rendered_charts(page)
    assert set(before) == set(expected) and all(c["main_svg"] == 0 for c in before.values()), \
        "the static page has no drawn charts: the check below depends on the browser drawing them"
    after = rendered_charts(dump_dom(report_page))
    missing = [cid for cid in expected if after.get(cid, {}).get("main_svg", 0) == 0]
    assert not missing, f"charts that did not render: {missing}"
    empty = [cid for cid in expected if after[cid]["traces"] == 0]
    assert not empty, f"charts drawn without any trace: {empty}"


def test_a_tenant_report_holds_only_that_tenant(world_db, tmp_path: Path) -> None:
    mine, other = list(world_db.tenants)
    out = tmp_path / "one.html"
    call_command("report", "--tenant", mine, "--out", str(out), stdout=StringIO())
    page = out.read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)"', page) == [mine]
    assert other not in page and "chart-overall" not in page
    assert re.findall(r'id="(chart-[^"]+)"', page) == [f"chart-{mine}-{suffix}" for suffix, _ in CHARTS]


def test_section_numbers_match_the_metrics(world_db) -> None:
    slug, tenant_id = next(iter(world_db.tenants.items()))
    section = tenant_sections([TenantRef(tenant_id, slug, slug)])[0]
    queries = load_queries()
    monthly = run_for_tenant(queries["revenue_by_tenant_over_time"], tenant_id).dicts()
    assert section.revenue == pytest.approx(float(sum(r["revenue"] for r in monthly)))
    assert section.completed_orders == sum(r["completed_orders"] for r in monthly)
    funnel = run_for_tenant(queries["conversion_funnel"], tenant_id).dicts()
    assert section.funnel == [(r["step"], r["sessions"]) for r in funnel]
    for row in run_for_tenant(queries["customer_retention_cohorts"], tenant_id).dicts():
        i = section.cohorts.index(row["cohort_month"])
        assert section.retention[i][row["month_offset"]] == pytest.approx(float(row["retention_rate"]), abs=1e-4)
    mrr = run_for_tenant(queries["mrr"], tenant_id).dicts()[0]["mrr"]
    assert section.current_mrr == pytest.approx(float(mrr))


def test_mrr_over_time_plots_complete_months_only(world_db) -> None:
    """The last point is the end of the last month that is over, for every tenant alike.

    Before, the series ended at the month of each tenant's latest subscription start: after
    simulate_activity that was the end of the current month (a date in the future), with only
    the tenants that had started a subscription this month, so the overall total fell off a cliff.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 day')::date")
        last_complete = cursor.fetchone()[0]
    queries = load_queries()
    ends = []
    for slug, tenant_id in world_db.tenants.items():
        rows = run_for_tenant(queries["mrr_over_time"], tenant_id).dicts()
        assert rows, slug
        ends.append(rows[-1]["month_end"])
        assert all(r["month_end"] <= last_complete for r in rows)
        assert all((r["month_end"] + dt.timedelta(days=1)).day == 1 for r in rows), "month ends only"
    assert set(ends) == {last_complete}


def test_bad_input_is_a_command_error(world_db, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown tenant 'nope'"):
        call_command("report", "--tenant", "nope", "--out", str(tmp_path / "x.html"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("report", "--out", str(tmp_path / "missing" / "x.html"))
    with pytest.raises(CommandError, match="it is a folder"):
        call_command("report", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="cannot write /proc/r.html"):
        call_command("report", "--out", "/proc/r.html")
