"""Card reader protocol cores (sans-I/O) for the two wire formats a counter meets.

`msr` is a plain magnetic-stripe reader writing ASCII tracks; `framed` is a smart reader (chip / tap /
swipe) speaking an acknowledged, framed protocol. Both cores look the same to the agent, so the
transport and the session never care which one is configured. `FramedReader` also takes commands
(`send_command`); a plain MSR never listens, so its core has none. Wire formats:
docs/protocols/card-reader.md.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from domain.events import CardRead, LineNoise, ReadError, ReaderStatus
from drivers.cardreader.framed import CommandFailed, FramedReader
from drivers.cardreader.msr import MsrReader

ReaderEvent = CardRead | ReadError | LineNoise | ReaderStatus | CommandFailed
FORMATS = ("msr", "framed")


class ReaderCore(Protocol):
    """Bytes in, events out. `now` is monotonic seconds and `today` the local date, both from the caller;
    the core reads no clock. Bytes from the reader never raise: they become events."""

    def receive_data(self, data: bytes, now: float) -> None: ...

    def next_event(self, today: date) -> ReaderEvent | None: ...

    def data_to_send(self) -> bytes: ...

    def get_timer(self) -> float | None:
        """The absolute monotonic deadline at which `handle_timer` must be called, or None."""

    def handle_timer(self, now: float) -> None: ...


def make_core(fmt: str) -> ReaderCore:
    if fmt == "msr":
        return MsrReader()
    if fmt == "framed":
        return FramedReader()
    raise ValueError(f"unknown card reader format {fmt!r}; allowed: {', '.join(repr(f) for f in FORMATS)}")
