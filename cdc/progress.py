"""Progress of long work: a tqdm bar on a terminal, a log line every few seconds when piped.

``verbosity`` follows Django's: 0 shows nothing, 1 (default) shows progress, 2+ the same
(the callers log more details themselves).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

from tqdm import tqdm


class Progress:
    def __init__(self, desc: str, *, total: int | None = None, unit: str = "rows", verbosity: int = 1,
                 stream: IO[str] | None = None, log: Callable[[str], None] | None = None,
                 interval: float = 10.0) -> None:
        self.desc = desc
        self.total = total
        self.unit = unit
        self.count = 0
        self.extra = ""
        self.interval = interval
        self.stream = stream or sys.stderr
        self.log = log or (lambda m: print(m, file=self.stream, flush=True))
        self.enabled = verbosity > 0
        self._bar: Any = None
        self._last = time.monotonic()
        if self.enabled and self.stream.isatty():

            self._bar = tqdm(total=total, desc=desc, unit=f" {unit}", file=self.stream, leave=False,
                             dynamic_ncols=True)

    def update(self, n: int = 1, extra: str = "") -> None:
        self.count += n
        if extra:
            self.extra = extra
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            if extra:
                self._bar.set_postfix_str(extra, refresh=False)
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.log(self.line())

    def line(self) -> str:
        of = f"/{self.total:,}" if self.total else ""
        return f"{self.desc}: {self.count:,}{of} {self.unit}" + (f" ({self.extra})" if self.extra else "")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
