"""A progress bar for a big settlement file, on stderr: reading a million lines takes a while, and a
manager staring at a silent terminal presses Ctrl-C.

Shown only on a terminal (or when asked), so a report piped to a file or read by a script stays clean.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO, label: str, total: int, *, every: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._label = label
        self._total = max(total, 1)
        self._every = every
        self._clock = clock
        self._started = clock()
        self._shown = float("-inf")

    def __call__(self, done: int, lines: int) -> None:
        now = self._clock()
        if now - self._shown < self._every:
            return
        self._shown = now
        share = min(done / self._total, 1.0)
        filled = int(share * WIDTH)
        rate = lines / max(now - self._started, 1e-9)
        self._stream.write(f"\r{self._label} [{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%} "
                           f"{lines:,} lines, {rate:,.0f}/s")
        self._stream.flush()

    def finish(self, lines: int) -> None:
        self._shown = float("-inf")
        self(self._total, lines)
        self._stream.write("\n")
        self._stream.flush()
