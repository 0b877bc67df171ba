"""Time, injected. Drivers and flows never read a clock; the agent and the simulator take one of these.

`RealClock` is the wall clock and the event loop's timers. `VirtualClock` only moves when told to, and
then jumps straight to the next due timer, so a scenario with a 30 s timeout and a 10-minute outage
replays in milliseconds and the same way every time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _VirtualTimer:
    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    """A clock that stands still until `advance` or `jump` moves it, firing due timers in order."""

    # How many times to yield to the event loop between timer firings so that the tasks a timer
    # woke can run before time moves again.
    SETTLE_ROUNDS = 20

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        if self._start.tzinfo is None:
            raise ValueError("VirtualClock start must be timezone-aware")
        self._t = 0.0
        self._heap: list[tuple[float, int, _VirtualTimer]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._t)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _VirtualTimer(self._t + max(0.0, delay), callback)
        heapq.heappush(self._heap, (timer.when, next(self._order), timer))
        return timer

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, wake)
        try:
            await future
        finally:
            timer.cancel()

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def jump(self) -> bool:
        """Move straight to the next due timer and fire every timer due then. False if none is set."""
        due = self.next_due()
        if due is None:
            return False
        self._t = max(self._t, due)
        while self._heap and self._heap[0][0] <= self._t:
            _, _, timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                timer.cancelled = True
                timer.callback()
        return True

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, firing the timers that fall due on the way, in order."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        target = self._t + seconds
        while (due := self.next_due()) is not None and due <= target:
            self.jump()
        self._t = target

    async def settle(self) -> None:
        for _ in range(self.SETTLE_ROUNDS):
            await asyncio.sleep(0)

    async def run_for(self, seconds: float) -> None:
        """Let the program run for `seconds` of virtual time: tasks run between timers, time jumps."""
        target = self._t + seconds
        await self.settle()
        while (due := self.next_due()) is not None and due <= target:
            self.jump()
            await self.settle()
        self._t = target
        await self.settle()
