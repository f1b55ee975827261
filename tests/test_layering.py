"""The import arrows of ARCHITECTURE: rls depends on Django only, and so on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "rls": {"models_app", "seeding", "cdc", "tenancy", "project"},
    "tenancy": {"models_app", "seeding", "cdc", "project"},
    "models_app": {"seeding", "cdc", "project"},
    "seeding": {"cdc"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upwards(package: str) -> None:
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        if "management" in path.parts and package == "rls":
            continue  # commands are composition code and may reach project wiring lazily
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
