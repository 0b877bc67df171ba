"""A serial line that survives being unplugged: any pyserial URL, read on a thread, bytes handed to
asyncio, and reopened with back-off when the port disappears.

Counter PCs are often Windows, where asyncio cannot watch a COM port, so reading happens on a plain
thread with pyserial on every platform. The thread never touches protocol state: it only forwards
bytes to the event loop, which owns the protocol core.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import serial

from domain.clock import Clock

# Seconds to wait before each reopen attempt; the last value repeats.
DEFAULT_BACKOFF = (0.25, 0.5, 1.0, 2.0, 5.0)
_READ_POLL = 0.1  # how long one blocking read waits, so a stop request is noticed promptly


@dataclass(frozen=True)
class LineOpened:
    url: str


@dataclass(frozen=True)
class LineLost:
    url: str
    reason: str
    attempt: int  # consecutive failures so far (1 for the first)


class SerialLine:
    """Owns one port. `run()` keeps it open until `stop()`; `write()` sends while it is open."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 115200,
        clock: Clock,
        on_data: Callable[[bytes], None],
        on_state: Callable[[LineOpened | LineLost], None],
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self._clock = clock
        self._on_data = on_data
        self._on_state = on_state
        self._backoff = backoff
        self._port: serial.SerialBase | None = None
        self._stopping = False
        self._stop_event: asyncio.Event | None = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def write(self, data: bytes) -> None:
        """Send bytes now; raise SerialException if the line is down (the caller decides what's lost)."""
        port = self._port
        if port is None:
            raise serial.SerialException(f"{self.url} is not open")
        port.write(data)

    def stop(self) -> None:
        self._stopping = True
        if self._stop_event is not None:
            self._stop_event.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        failures = 0
        while not self._stopping:
            try:
                port = await loop.run_in_executor(None, self._open)
            except (serial.SerialException, OSError, ValueError) as exc:
                failures += 1
                self._on_state(LineLost(self.url, f"cannot open: {exc}", failures))
                await self._pause(failures)
                continue
            failures = 0
            self._port = port
            self._on_state(LineOpened(self.url))
            reason = await self._pump(port, loop)
            self._port = None
            with contextlib.suppress(Exception):
                port.close()
            if self._stopping:
                break
            failures += 1
            self._on_state(LineLost(self.url, reason, failures))
            await self._pause(failures)

    def _open(self) -> serial.SerialBase:
        return serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=_READ_POLL, write_timeout=2)

    async def _pump(self, port: serial.SerialBase, loop: asyncio.AbstractEventLoop) -> str:
        """Read on a thread until the port fails or we are stopped; return why it ended."""
        ended: asyncio.Future[str] = loop.create_future()

        def finish(reason: str) -> None:
            if not ended.done():
                ended.set_result(reason)

        def reader() -> None:
            try:
                while not self._stopping:
                    data = port.read(max(1, port.in_waiting))
                    if data:
                        loop.call_soon_threadsafe(self._on_data, data)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # pyserial raises TypeError/AttributeError from a port closed under it
                loop.call_soon_threadsafe(finish, f"line lost: {exc}")
                return
            loop.call_soon_threadsafe(finish, "stopped")

        thread = threading.Thread(target=reader, name=f"serial {self.url}", daemon=True)
        thread.start()
        assert self._stop_event is not None
        stop_wait = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({ended, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_wait.cancel()
        if not ended.done():
            ended.set_result("stopped")
        await loop.run_in_executor(None, thread.join, 2 * _READ_POLL + 1)
        return ended.result()

    async def _pause(self, failures: int) -> None:
        delay = self._backoff[min(failures, len(self._backoff)) - 1]
        assert self._stop_event is not None
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        stop_wait = asyncio.ensure_future(self._stop_event.wait())
        await asyncio.wait({sleeper, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        stop_wait.cancel()
