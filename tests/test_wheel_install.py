"""The project installed as a wheel (``pip install .``) runs, with its SQL read from the package data.

A fresh virtual environment gets the project built from a copy of the sources (``pip install
--no-deps --no-build-isolation``, so nothing is downloaded); its dependencies come from the
test's own environment through a ``.pth`` line appended *after* the new environment's
site-packages (an appended path's own ``.pth`` files are not run, so this checkout's editable
install stays out). The commands run from a temporary directory, so neither the checkout nor
its ``manage.py`` is on ``sys.path``: ``metrics --list`` and ``report`` must find
``analytics/sql/*.sql`` inside the installed package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import venv
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

import analytics as analytics_here
from project.database import local_server, uses_local_server
from tests.seeding.conftest import TINY, purge_all

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("project", "devdb", "tenancy", "models_app", "rls", "seeding", "analytics", "cdc", "lakehouse")


def _copy_sources(to: Path) -> None:
    """What a clean checkout holds for the build: pyproject, README and the packages (no caches, no data)."""
    to.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, to / name)
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the project installed from a wheel; returns its python."""
    base = tmp_path_factory.mktemp("wheel")
    _copy_sources(base / "src")
    venv.EnvBuilder(with_pip=False).create(base / "venv")
    python = base / "venv" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies (and pip, setuptools) from this environment, after the venv's own packages.
    Path(site, "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", str(base / "src")], check=True, cwd=base, capture_output=True, timeout=300)
    return python


@pytest.fixture
def seeded(django_db_setup: str, django_db_blocker) -> Iterator[str]:
    """A committed tiny world (purged afterwards); returns the database name."""
    with django_db_blocker.unblock():
        purge_all()
        try:
            call_command("seed_all", verbosity=0, workers=1, **TINY)
            yield django_db_setup
        finally:
            purge_all()


def _run(python: Path, cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "django", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_installed_wheel_runs_metrics_and_report_from_its_package_data(installed, seeded, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(DJANGO_SETTINGS_MODULE="project.settings", DATABASE_NAME=seeded)
    if uses_local_server():  # the installed settings would look for .pgdata next to site-packages
        env["LAKEHOUSE_PGDATA"] = str(local_server().root)

    where = subprocess.run([installed, "-c", "import analytics, project; print(analytics.__file__); "
                            "print(project.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True)
    # Negative control: from the checkout, the same interpreter setup would import the checkout's modules.
    assert Path(analytics_here.__file__).resolve().is_relative_to(ROOT)
    assert where.returncode == 0, where.stderr
    venv_root = installed.parent.parent
    assert all(Path(p).is_relative_to(venv_root) for p in where.stdout.split()), where.stdout
    assert not any(Path(p).is_relative_to(ROOT) for p in where.stdout.split()), where.stdout

    listed = _run(installed, tmp_path, "metrics", "--list", env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    here = StringIO()
    call_command("metrics", "--list", stdout=here)
    assert listed.stdout.split() == here.getvalue().split() and len(listed.stdout.splitlines()) >= 20

    out = tmp_path / "report.html"
    report = _run(installed, tmp_path, "report", "--out", str(out), env=env)
    assert report.returncode == 0, report.stderr[-2000:]
    assert out.stat().st_size > 10_000 and "<html" in out.read_text()[:2000].lower()
