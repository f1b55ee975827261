"""docs/API.md documents every management command of the project with its current options."""

from __future__ import annotations

from tests.docs.command_reference import API_DOC, END, START, current_block, project_commands, render


def test_api_doc_lists_every_command_with_its_current_options() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    block = current_block(text)
    assert block is not None, f"docs/API.md lacks the {START} ... {END} block"
    assert block == render(), (
        "docs/API.md's command reference is out of date: run `python -m tests.docs.command_reference --write`"
    )


def test_the_reference_covers_the_commands_the_issue_names() -> None:
    names = set(project_commands())
    assert {"bootstrap_db", "dbserver", "dburl", "demo", "rls_audit", "metrics", "report",
            "bench_rls"} <= names


def test_the_python_api_is_documented() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    for name in ("tenant_context", "current_tenant_id", "resolve_tenant", "create_tenant", "TenantContextRequired",
                 "TenantNotFound", "TenantInactive", "TenantMiddleware", "rls.E001", "rls.E002", "rls.E003",
                 "rls.E004", "rls.E005", "rls.W001", "rls.W002"):
        assert name in text, name
