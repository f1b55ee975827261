"""Builds the ``seed_report`` document: per-tenant and overall counts, figures and checks.

Tenants are listed through the read-only replication role; each tenant's figures are read
as the app role inside its own context, and the overall figures are the sum of the
tenants' facts (never a cross-tenant query by the app role).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from seeding import realism
from seeding.engine import ExistingTenant, existing_tenants
from tenancy import tenant_context


def build(tenant: str | None = None) -> dict[str, Any]:
    targets: list[ExistingTenant] = [t for t in existing_tenants() if tenant is None or t.slug == tenant]
    overall = realism.Facts()
    generated = realism.Facts()
    tenants = []
    aov: dict[str, float | None] = {}
    repeat: dict[str, float | None] = {}
    for t in targets:
        with tenant_context(t.id), connection.cursor() as cursor:
            facts = realism.collect(cursor, t.settings)
            violations = realism.integrity(cursor)
        overall.add(facts)
        fig = realism.figures(facts)
        seeding = t.settings.get("seeding", {}) if isinstance(t.settings, dict) else {}
        if seeding:  # realism targets apply to generated tenants, not hand-made ones
            generated.add(facts)
            aov[t.slug] = fig["aov"]
            repeat[t.slug] = fig["repeat_top_order_share"]
        tenants.append({"slug": t.slug, "name": t.name, "profile": seeding.get("profile"),
                        "generated": bool(seeding), "figures": fig, "integrity": violations})
    fig = realism.figures(overall)
    checked = realism.figures(generated)
    checks = realism.checks(checked, per_tenant_aov=aov, per_tenant_repeat=repeat) if aov else []
    integrity_total: dict[str, int] = {}
    for entry in tenants:
        for rule, n in entry["integrity"].items():
            integrity_total[rule] = integrity_total.get(rule, 0) + n
    return {"tenants": tenants, "overall": fig, "generated": checked, "checks": [c.as_dict() for c in checks],
            "integrity": integrity_total, "tolerances": realism.TOLERANCES}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:5.1f}%"


def _num(x: float | None, fmt: str = ",.2f") -> str:
    return "-" if x is None else format(x, fmt)


def render(doc: dict[str, Any]) -> str:
    """Human-readable report."""
    lines: list[str] = []
    if not doc["tenants"]:
        return "no tenants: run `python manage.py seed_all` first"
    tables = list(doc["overall"]["counts"])
    #: Each count column is as wide as its table's name (and at least 11): no header is cut.
    widths = {t: max(11, len(t) + 1) for t in tables}
    head = f"{'tenant':<26} {'profile':<15}" + "".join(f"{t:>{widths[t]}}" for t in tables) + f"{'AOV':>9}{'MRR':>11}"
    lines += ["Counts per tenant", head, "-" * len(head)]
    for t in doc["tenants"]:
        f = t["figures"]
        lines.append(f"{t['slug'][:26]:<26} {str(t['profile'] or 'manual')[:15]:<15}"
                     + "".join(f"{f['counts'][k]:>{widths[k]},}" for k in tables)
                     + f"{_num(f['aov']):>9}{_num(f['mrr']):>11}")
    o = doc["overall"]
    lines.append(f"{'overall':<26} {'':<15}" + "".join(f"{o['counts'][k]:>{widths[k]},}" for k in tables)
                 + f"{_num(o['aov']):>9}{_num(o['mrr']):>11}")
    lines.append(f"total rows: {sum(o['counts'].values()):,}")
    o = doc["generated"]
    lines += ["", "Realism (generated tenants)"]
    lines.append("  order status: " + ", ".join(f"{k} {_pct(v)}" for k, v in o["order_status_shares"].items()))
    if o["live_orders"]:
        lines.append(f"  order status of the {o['live_orders']:,} orders placed since seeding (simulate_activity): "
                     + ", ".join(f"{k} {_pct(v)}" for k, v in o["live_order_status_shares"].items()))
    lines.append(f"  repeat customers: top 30% place {_pct(o['repeat_top_order_share'])} of orders")
    for what in ("orders", "events"):
        tf = o[f"{what}_time"]
        lines.append(f"  {what}: " + ", ".join(f"{k} {_pct(v)}" for k, v in tf["period_shares"].items())
                     + f"; weekend/weekday {_num(tf['weekend_ratio'])}; month-end uplift "
                     f"{_num(tf['month_end_uplift'])}")
    lines.append("  orders per month: " + ", ".join(f"{k} {_pct(v)}" for k, v in
                                                     o["orders_time"]["monthly_shares"].items()))
    lines.append("  funnel: " + ", ".join(f"{k} {_pct(v)}" for k, v in o["funnel_step_conversion"].items())
                 + f"; session conversion {_pct(o['session_conversion'])}; bounce rate {_pct(o['bounce_rate'])}")
    lines.append(f"  sessions: {_pct(o['authenticated_session_share'])} authenticated, average non-bounce "
                 f"duration {_num(o['avg_session_seconds'], ',.0f')} s; items per order "
                 f"{_num(o['items_per_order'])}")
    lines.append(f"  subscriptions: {o['subscription_status']}; MRR ${_num(o['mrr'])}")
    lines.append(f"  invoices: {o['invoice_status']}; payment success {_pct(o['payment_success_rate'])}")
    lines += ["", "Checks (target ± tolerance)"]
    for c in doc["checks"]:
        target = (f"{c['target'][0]:g}..{c['target'][1]:g}" if isinstance(c["target"], (tuple, list))
                  else f"{c['target']:.3f} ± {c['tolerance']:.2f}")
        lines.append(f"  [{'ok' if c['ok'] else 'XX'}] {c['name']:<60} {_num(c['value'], '.3f'):>10}  {target}")
    bad = {k: v for k, v in doc["integrity"].items() if v}
    lines += ["", "Integrity: " + ("all rules hold" if not bad else f"VIOLATIONS {bad}")]
    return "\n".join(lines)
