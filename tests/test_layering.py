"""The import arrows of ARCHITECTURE: rls depends on Django only, and so on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = {"project", "devdb", "rls", "tenancy", "models_app", "seeding", "analytics", "cdc", "lakehouse"}
FORBIDDEN = {
    "devdb": APPS - {"devdb"} | {"django"},
    "rls": APPS - {"rls"},
    "tenancy": APPS - {"tenancy", "rls"},
    "models_app": APPS - {"models_app", "tenancy", "rls"},
    "seeding": {"analytics", "cdc", "lakehouse"},
    "analytics": {"seeding", "cdc", "lakehouse"},
    "cdc": {"seeding", "analytics", "lakehouse"},
    "lakehouse": {"seeding"},
}
#: Modules a package may import although their top-level package is forbidden to it.
ALLOWED = {"cdc": {"seeding.distributions"}}


def _imports(path: Path) -> set[str]:
    """Every absolute module name a file imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _violations(package: str, path: Path) -> set[str]:
    allowed = ALLOWED.get(package, set())

    def permitted(name: str) -> bool:
        # ``seeding.distributions`` itself, or ``seeding`` as in ``from seeding import distributions``.
        return any(name == a or name.startswith(a + ".") or a.startswith(name + ".") for a in allowed)

    return {name.split(".")[0] for name in _imports(path)
            if name.split(".")[0] in FORBIDDEN[package] and not permitted(name)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upwards(package: str) -> None:
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        if "management" in path.parts and package == "rls":
            continue  # commands are composition code and may reach project wiring lazily
        bad = _violations(package, path)
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
