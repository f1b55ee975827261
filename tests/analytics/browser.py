"""Headless Chromium helpers: render a local page and read back the DOM the scripts built."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(page: Path, *extra: str, timeout: int = 120) -> str:
    binary = chromium()
    if binary is None:
        raise RuntimeError("no chromium binary")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000", *extra,
             page.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def dump_dom(page: Path) -> str:
    """The DOM after scripts ran (virtual time lets plotly finish drawing)."""
    return _run(page, "--dump-dom")


def screenshot(page: Path, out: Path, size: str = "1400,2400") -> Path:
    _run(page, f"--window-size={size}", f"--screenshot={out}")
    return out


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class ChartScanner(HTMLParser):
    """For every ``<div id="chart-...">``: was an ``svg.main-svg`` drawn inside it, and how many traces."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, int]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, chart id that this element opened)
        self._current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        opened = None
        ident = attributes.get("id") or ""
        if tag == "div" and ident.startswith("chart-"):
            opened = ident
            self.charts[ident] = {"main_svg": 0, "traces": 0}
            self._current.append(ident)
        if self._current:
            classes = (attributes.get("class") or "").split()
            chart = self.charts[self._current[-1]]
            if tag == "svg" and "main-svg" in classes:
                chart["main_svg"] += 1
            if tag == "g" and ("trace" in classes or "hm" in classes):
                chart["traces"] += 1
        if tag not in VOID:
            self._open.append((tag, opened))
        elif opened:
            self._current.remove(opened)

    def handle_endtag(self, tag: str) -> None:
        if tag not in {t for t, _ in self._open}:
            return
        while self._open:
            open_tag, opened = self._open.pop()
            if opened:
                self._current.remove(opened)
            if open_tag == tag:
                break


def rendered_charts(dom: str) -> dict[str, dict[str, int]]:
    scanner = ChartScanner()
    scanner.feed(dom)
    return scanner.charts
