"""The virtual card reader on a real line: the device end of a pty (Linux) or a TCP port that the
agent opens with `socket://`. Tests and people drive it — present a card, swipe badly, spray noise,
pull the plug — and the agent on the other end cannot tell it from a reader on a USB cable.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.card import MaskedPan
from domain.clock import Clock, Timer
from domain.events import EntryMode
from simulator.cardreader.device import FramedDevice, MsrDevice, corrupt, line_noise
from simulator.cardreader.wallet import WALLET, TestCard
from simulator.pty import PtyPort


@dataclass
class ReaderLog:
    """What the device did, for tests and the simulator's event log."""

    sent: list[str] = field(default_factory=list)
    commands: list[Any] = field(default_factory=list)


class VirtualReader:
    def __init__(self, fmt: str, *, clock: Clock, seed: int = 0) -> None:
        if fmt not in ("msr", "framed"):
            raise ValueError(f"reader format must be 'msr' or 'framed', got {fmt!r}")
        self.fmt = fmt
        self._clock = clock
        self._rng = random.Random(seed)
        self.corrupt_rate = 0.0
        self.log = ReaderLog()
        self._framed = FramedDevice() if fmt == "framed" else None
        self._msr = MsrDevice() if fmt == "msr" else None
        self._timer: Timer | None = None
        self._write_raw: Any = None  # set by the transport: bytes -> None
        self.observers: list[Callable[[str], None]] = []  # told of everything the device does

    def _note(self, text: str) -> None:
        self.log.sent.append(text)
        for observer in self.observers:
            observer(text)

    # -- what a person or a test does at the reader -------------------------------------------

    def present(self, card: TestCard | str, entry_mode: EntryMode = EntryMode.SWIPE) -> None:
        card = WALLET[card] if isinstance(card, str) else card
        self._note(f"present {card.key} {MaskedPan.of(card.pan)} ({entry_mode.value})")
        if self._framed is not None:
            self._framed.present(card, entry_mode, self._clock.monotonic())
            self._pump()
        else:
            assert self._msr is not None
            self._send(self._msr.swipe(card))

    def bad_swipe(self) -> None:
        self._note("bad swipe")
        if self._framed is not None:
            self._framed.bad_read(self._clock.monotonic())
            self._pump()
        else:
            assert self._msr is not None
            self._send(self._msr.bad_swipe())

    def noise(self, count: int = 16) -> None:
        self._note(f"noise {count} bytes")
        self._send_raw(line_noise(count, self._rng))

    # -- the device core's plumbing ---------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        if self._framed is None:
            return  # a plain MSR ignores anything sent to it
        self._framed.receive_data(data, self._clock.monotonic())
        self._pump()

    def _pump(self) -> None:
        assert self._framed is not None
        while (command := self._framed.next_command()) is not None:
            self.log.commands.append(command)
            for observer in self.observers:
                observer(f"agent sent {command}")
        self._send(self._framed.data_to_send())
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._framed.get_timer()
        if deadline is not None:
            self._timer = self._clock.call_later(deadline - self._clock.monotonic(), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        assert self._framed is not None
        self._framed.handle_timer(self._clock.monotonic())
        self._pump()

    def _send(self, data: bytes) -> None:
        if data and self.corrupt_rate:
            data = corrupt(data, self.corrupt_rate, self._rng)
        self._send_raw(data)

    def _send_raw(self, data: bytes) -> None:
        if data and self._write_raw is not None:
            self._write_raw(data)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class PtyReaderPort(PtyPort):
    """The reader's device end on a pty."""

    def __init__(self, reader: VirtualReader, link: Path | None = None) -> None:
        super().__init__(link)
        self.reader = reader

    def received(self, data: bytes) -> None:
        self.reader.receive(data)

    def plugged_in(self) -> None:
        self.reader._write_raw = self.write

    def pulled_out(self) -> None:
        """The agent's next read fails and the device node goes away."""
        self.reader._write_raw = None


class TcpReaderPort:
    """The reader's device end as a TCP server; the agent connects with socket://HOST:PORT.
    One connection at a time, as on a cable; a new connection replaces the old one."""

    def __init__(self, reader: VirtualReader, host: str = "127.0.0.1", port: int = 0) -> None:
        self.reader = reader
        self.host, self.port = host, port
        self._server: asyncio.AbstractServer | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.connected = asyncio.Event()

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = writer
        self.reader._write_raw = writer.write
        self.connected.set()
        try:
            while data := await reader.read(4096):
                self.reader.receive(data)
        except ConnectionError:
            pass
        finally:
            if self._writer is writer:
                self._writer = None
                self.reader._write_raw = None
                self.connected.clear()
            writer.close()

    def drop(self) -> None:
        """Cut the current connection, as a cable pulled from a serial-to-Ethernet box would."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self.reader._write_raw = None
            self.connected.clear()

    async def close(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
