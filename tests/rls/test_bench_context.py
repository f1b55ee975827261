"""``bench_context`` prints every variant with a ratio to the unsigned reference of the same run."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.rls


def test_bench_context_reports_ratios_to_the_reference(committed) -> None:
    out = io.StringIO()
    call_command("bench_context", iterations=10, stdout=out)
    report = json.loads(out.getvalue())
    assert report["reference"] == "unsigned_reference" and report["iterations"] == 10
    assert set(report["variants"]) == {"unsigned_reference", "signed", "signed_nested"}
    assert report["variants"]["unsigned_reference"]["ratio_to_reference"] == 1.0
    assert all(v["median_us"] > 0 and v["ratio_to_reference"] > 0 for v in report["variants"].values())


def test_bench_context_refuses_too_few_iterations(committed) -> None:
    with pytest.raises(CommandError, match="at least 10"):
        call_command("bench_context", iterations=3)
