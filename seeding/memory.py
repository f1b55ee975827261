"""Memory of a process tree, sampled while it works (for ``bench_seed``).

``ru_maxrss`` gives the peak of one process; the seeding engine runs tenants in worker
processes at the same time, so the question "how much memory does seeding need" is about
the whole tree at one moment. RSS counts pages shared after ``fork`` once per process, so the
sum of RSS overstates; PSS (proportional set size) divides each shared page among its
sharers and sums to the real total. psutil reads both (``memory_full_info().pss``) and
walks the tree (``Process.children(recursive=True)``).
"""

from __future__ import annotations

import os
import threading

import psutil

__all__ = ["TreeMemorySampler", "pss_kb", "tree"]


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (an empty list if ``pid`` is gone)."""
    try:
        process = psutil.Process(pid)
        return [pid, *(child.pid for child in process.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def pss_kb(pid: int) -> int:
    """Proportional set size of one process in kB (0 if it is gone or unreadable)."""
    try:
        return int(psutil.Process(pid).memory_full_info().pss) // 1024
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, AttributeError):
        return 0  # AttributeError: a platform without PSS


class TreeMemorySampler:
    """Samples the PSS of this process and its descendants every ``interval`` seconds."""

    def __init__(self, interval: float = 0.1, pid: int | None = None) -> None:
        self.interval = interval
        self.pid = pid or os.getpid()
        self.peak_kb = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    @property
    def available(self) -> bool:
        """PSS is known on this platform (Linux) for the sampled process."""
        try:
            return hasattr(psutil.Process(self.pid).memory_full_info(), "pss")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> int:
        total = sum(pss_kb(p) for p in tree(self.pid))
        self.peak_kb = max(self.peak_kb, total)
        self.samples += 1
        return total

    def __enter__(self) -> TreeMemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def peak_mb(self) -> float | None:
        return round(self.peak_kb / 1024, 1) if self.samples else None
