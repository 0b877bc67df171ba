"""The acquirer link over TCP: one `HostLink` core, an asyncio stream, the core's timer, and reconnection.

Everything the link reports comes out of `on_event`, in order: the core's events, plus the domain's
`LinkUp` (the first echo answered on a connection, with its round trip) and `LinkDown` (the link was up,
or its state was still unknown, and is not any more). Reconnection goes on with back-off until `stop()`.

Write before the wire is built into `request()`: it takes a `before_send` callback, called with the
complete message (STAN assigned) before a single byte is written. The callback journals
`journal_safe(fields)` durably and returns; the bytes go out right after, in the same synchronous call,
so nothing can slip in between. If the callback raises, the request is withdrawn and never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from domain.clock import Clock, Timer
from domain.events import LinkDown, LinkUp
from drivers.host.codec import Fields
from drivers.host.link import HostLink, LinkAlive, LinkDead

DEFAULT_BACKOFF = (0.5, 1.0, 2.0, 5.0)  # seconds before each reconnection attempt; the last repeats
CONNECT_TIMEOUT = 5.0
_READ_SIZE = 65536

Opener = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class HostClient:
    """`run()` keeps the link connected until `stop()`; `request()` sends while it is connected.

    One core serves every connection, so the STAN counter and the memory of timed-out requests survive
    a reconnection. `open_connection` is how a stream is opened: pass
    `functools.partial(asyncio.open_connection, ssl=context)` for an acquirer that wants TLS.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Clock,
        link: HostLink,
        on_event: Callable[[Any], None],
        connect_timeout: float = CONNECT_TIMEOUT,
        backoff: tuple[float, ...] = DEFAULT_BACKOFF,
        open_connection: Opener = asyncio.open_connection,
    ) -> None:
        self.host = host
        self.port = port
        self.link = link
        self._clock = clock
        self._on_event = on_event
        self._connect_timeout = connect_timeout
        self._backoff = backoff
        self._open = open_connection
        self._writer: asyncio.StreamWriter | None = None
        self._timer: Timer | None = None
        self._up: bool | None = None  # None until the first connection succeeds or fails
        self._drop_reason: str | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    @property
    def up(self) -> bool:
        return bool(self._up)

    def request(self, fields: Mapping[str, str], *, tag: str, before_send: Callable[[Fields], object],
                timeout: float | None = None) -> Fields:
        """Send a request and return it complete. `before_send(fields)` must journal it, and only that:
        the bytes are written when it returns. Raises LocalProtocolError when the link is not connected."""
        complete = self.link.request(fields, self._clock.monotonic(), tag=tag, timeout=timeout)
        try:
            before_send(complete)
        except BaseException:
            self.link.withdraw(complete)
            raise
        self._pump()
        return complete

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._drop("client stopped")

    async def run(self) -> None:
        failures = 0
        try:
            while not self._stopping:
                streams = await self._connect()
                if isinstance(streams, str):
                    reason = streams
                else:
                    reason = await self._converse(*streams)
                    if self._up:
                        failures = 0
                if self._up is not False:
                    self._up = False
                    self._on_event(LinkDown(reason))
                if self._stopping:
                    break
                failures += 1
                await self._pause(failures)
        finally:
            self._cancel_timer()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
        opening = asyncio.ensure_future(self._open(self.host, self.port))
        waits = {asyncio.ensure_future(self._clock.sleep(self._connect_timeout)),
                 asyncio.ensure_future(self._wake.wait())}
        try:
            await asyncio.wait({opening, *waits}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if opening.done():
            if opening.exception() is None:
                return opening.result()
            return f"cannot connect to {self.host}:{self.port}: {opening.exception()}"
        opening.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await opening
        if self._stopping:
            return "client stopped"
        return f"no connection to {self.host}:{self.port} within {self._connect_timeout} s"

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        self._writer = writer
        self._drop_reason = None
        self.link.connection_made(self._clock.monotonic(), self._clock.now())
        self._pump()
        reason = "the host closed the connection"
        try:
            while self._drop_reason is None:
                try:
                    data = await reader.read(_READ_SIZE)
                except OSError as exc:
                    reason = f"connection lost: {exc}"
                    break
                if not data:
                    break
                self.link.receive_data(data, self._clock.monotonic())
                self._pump()
        finally:
            self._writer = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        reason = self._drop_reason or reason
        self.link.connection_lost(self._clock.monotonic(), reason)
        self._pump()
        return reason

    async def _pause(self, failures: int) -> None:
        delay = self._backoff[min(failures, len(self._backoff)) - 1]
        waits = {asyncio.ensure_future(self._clock.sleep(delay)), asyncio.ensure_future(self._wake.wait())}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def _pump(self) -> None:
        """Deliver the core's events, write what it wants written, re-arm its timer."""
        while (event := self.link.next_event()) is not None:
            if isinstance(event, LinkDead):
                self._drop(event.reason)
            self._on_event(event)
            if isinstance(event, LinkAlive) and not self._up:
                self._up = True
                self._on_event(LinkUp(event.round_trip_s * 1000))
        outgoing = self.link.data_to_send()
        if outgoing and self._writer is not None:
            self._writer.write(outgoing)
        self._cancel_timer()
        deadline = self.link.get_timer()
        if deadline is not None:
            self._timer = self._clock.call_later(deadline - self._clock.monotonic(), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.link.handle_timer(self._clock.monotonic(), self._clock.now())
        self._pump()

    def _drop(self, reason: str) -> None:
        """End the current connection; the reading loop sees it close and reports `reason`."""
        if self._writer is not None and self._drop_reason is None:
            self._drop_reason = reason
            self._writer.close()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
