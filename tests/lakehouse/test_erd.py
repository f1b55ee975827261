"""docs/erd.md is the generated diagram of the current models."""

from __future__ import annotations

from lakehouse.erd import erd_markdown, mermaid_erd
from lakehouse.management.commands.lake_erd import erd_path
from lakehouse.schema import table_specs


def test_docs_erd_is_up_to_date() -> None:
    assert erd_path().read_text(encoding="utf-8") == erd_markdown(), "run: python manage.py lake_erd --write"


def test_every_replicated_table_and_foreign_key_is_drawn() -> None:
    text = mermaid_erd()
    for spec in table_specs():
        assert f"    {spec.name} {{" in text
        if spec.name != "tenancy_tenant":
            assert f'tenancy_tenant ||--o{{ {spec.name} : "tenant_id"' in text
    assert 'models_app_order ||--o{ models_app_orderitem : "order_id"' in text
    assert 'models_app_subscription |o--o{ models_app_invoice : "subscription_id"' in text
