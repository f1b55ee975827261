"""``bench_seed``: a smoke run on the small scale, and the memory sampler it reports with."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.core.management import call_command

from seeding.memory import TreeMemorySampler, pss_kb, tree

ALLOCATE_MB = 120


def test_sampler_sees_a_child_process_memory() -> None:
    code = f"x = bytearray({ALLOCATE_MB} * 2**20); x[::4096] = b'1' * len(x[::4096]); import time; time.sleep(3)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        with TreeMemorySampler(interval=0.05) as sampler:
            deadline = time.monotonic() + 10
            while pss_kb(child.pid) < ALLOCATE_MB * 1024 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert child.pid in tree(sampler.pid)
            time.sleep(0.2)
        own = pss_kb(sampler.pid)
        assert sampler.samples > 1
        assert sampler.peak_kb >= own + ALLOCATE_MB * 1024 * 0.9
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_bench_seed_small_reports_figures_against_the_reference(django_db_setup, django_db_blocker) -> None:
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("bench_seed", "--scale", "small", "--json", "--workers", "2", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["seed"]["rows"] == doc["reference"]["rows"] > 50_000
    assert set(doc["seed"]["tables"]) == set(doc["reference"]["tables"])
    assert doc["ratio"] == pytest.approx(doc["reference"]["seconds"] / doc["seed"]["seconds"], rel=0.01)
    assert doc["peak_rss_mb"] > 0 and doc["peak_total_pss_mb"] > 0 and doc["memory_samples"] > 0
