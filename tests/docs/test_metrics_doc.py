"""docs/METRICS_EXAMPLES.md explains every metric of the SQL file, and the check ids of API.md are the real ones."""

from __future__ import annotations

import re
from pathlib import Path

from analytics.definitions import load_queries, metric_queries

ROOT = Path(__file__).resolve().parents[2]


def test_every_metric_has_a_section_with_its_sql_name_and_an_example() -> None:
    text = (ROOT / "docs" / "METRICS_EXAMPLES.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", text, flags=re.M)
    for name, query in metric_queries().items():
        section = next((s for s in sections if f"SQL name: `{name}`" in s), None)
        assert section is not None, f"{name} is not documented"
        assert section.startswith(query.title), f"{name}: section title differs from the SQL title"
        assert "How to read it:" in section and "```text" in section, name
    for name in load_queries():
        assert f"`{name}`" in text, name


def test_api_doc_lists_every_rls_check_id() -> None:
    source = (ROOT / "rls" / "checks.py").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="(rls\.[EW]\d{3})"', source))
    assert ids, "no check ids found in rls/checks.py"
    api = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")
    assert ids <= set(re.findall(r"rls\.[EW]\d{3}", api)), sorted(ids - set(re.findall(r"rls\.[EW]\d{3}", api)))
