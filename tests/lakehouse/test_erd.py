"""docs/erd.md is the generated diagram of the current models."""

from __future__ import annotations

from lakehouse.athena import athena_script
from lakehouse.erd import erd_markdown, mermaid_erd
from lakehouse.management.commands.lake_erd import erd_path
from lakehouse.schema import spec_map, table_specs


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


def test_lakehouse_doc_shows_the_current_diagram_and_athena_sql() -> None:
    doc = (erd_path().parent / "LAKEHOUSE.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + mermaid_erd() + "```" in doc
    customer = spec_map()["models_app_customer"]
    assert athena_script([customer], "s3://my-dms-bucket/dms", "s3://my-lake-bucket/warehouse") in doc, \
        "regenerate the Athena block of docs/LAKEHOUSE.md: python manage.py lake_athena --table models_app_customer"
