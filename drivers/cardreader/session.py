"""A card reader at the end of a real line: the protocol core, the serial line and the core's timers
wired together. Everything the reader reports — cards, read errors, noise, the line going down and
coming back — comes out of one callback as domain events, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serial import SerialException

from domain.clock import Clock, Timer
from domain.events import DeviceState, ReaderStatus
from drivers.cardreader import ReaderCore, make_core
from drivers.serialline import LineLost, LineOpened, SerialLine


class ReaderSession:
    def __init__(
        self,
        url: str,
        fmt: str,
        *,
        clock: Clock,
        on_event: Callable[[Any], None],
        baudrate: int = 115200,
        backoff: tuple[float, ...] | None = None,
    ) -> None:
        self._fmt = fmt
        self._clock = clock
        self._on_event = on_event
        self.core: ReaderCore = make_core(fmt)
        self._timer: Timer | None = None
        extra = {} if backoff is None else {"backoff": backoff}
        self.line = SerialLine(url, baudrate=baudrate, clock=clock, on_data=self._on_data,
                               on_state=self._on_line, **extra)
        self.state = DeviceState.OFFLINE

    async def run(self) -> None:
        try:
            await self.line.run()
        finally:
            self._cancel_timer()

    def stop(self) -> None:
        self.line.stop()

    def send_command(self, command: Any) -> None:
        """Queue a command for a framed reader (enable, disable, display, beep)."""
        send = getattr(self.core, "send_command", None)
        if send is None:
            raise ValueError(f"a {self._fmt!r} reader takes no commands")
        send(command, self._clock.monotonic())
        self._pump()

    # -- callbacks from the line (always on the event loop) ---------------------------------------

    def _on_line(self, change: LineOpened | LineLost) -> None:
        if isinstance(change, LineOpened):
            self.core = make_core(self._fmt)  # a reopened line starts a fresh conversation
            self.state = DeviceState.ONLINE
            self._on_event(ReaderStatus(DeviceState.ONLINE, f"reader on {change.url}"))
        else:
            self._cancel_timer()
            if self.state is DeviceState.ONLINE or change.attempt == 1:
                self._on_event(ReaderStatus(DeviceState.OFFLINE, f"reader on {change.url}: {change.reason}"))
            self.state = DeviceState.OFFLINE

    def _on_data(self, data: bytes) -> None:
        self.core.receive_data(data, self._clock.monotonic())
        self._pump()

    def _on_timer(self) -> None:
        self._timer = None
        self.core.handle_timer(self._clock.monotonic())
        self._pump()

    def _pump(self) -> None:
        """Deliver the core's events, send what it wants sent, and re-arm its timer."""
        today = self._clock.now().astimezone().date()
        while (event := self.core.next_event(today)) is not None:
            self._on_event(event)
        outgoing = self.core.data_to_send()
        if outgoing and self.line.is_open:
            try:
                self.line.write(outgoing)
            except (SerialException, OSError) as exc:  # the reading thread reports the line lost
                self._on_event(ReaderStatus(DeviceState.OFFLINE, f"write failed: {exc}"))
        self._cancel_timer()
        deadline = self.core.get_timer()
        if deadline is not None:
            self._timer = self._clock.call_later(deadline - self._clock.monotonic(), self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
