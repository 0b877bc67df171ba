"""The virtual card reader on a real line: the device end of a pty (Linux) or a TCP port that the
agent opens with `socket://`. Tests and people drive it — present a card, swipe badly, spray noise,
pull the plug — and the agent on the other end cannot tell it from a reader on a USB cable.

A pty can also be published under a stable link path, the way udev publishes /dev/serial/by-id/…,
so that unplugging and replugging gives a new pty behind the same name the agent was configured with.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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


class PtyReaderPort:
    """The reader's device end on a pty. `url` is what the agent opens (the link path, if given)."""

    def __init__(self, reader: VirtualReader, link: Path | None = None) -> None:
        self.reader = reader
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None
        self._pending = bytearray()
        self.slave_name = ""

    @property
    def url(self) -> str:
        return str(self.link) if self.link else self.slave_name

    def plug(self) -> str:
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/NL translation before the agent opens it
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.slave_name = os.ttyname(slave)
        if self.link is not None:
            temp = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            temp.symlink_to(self.slave_name)
            os.replace(temp, self.link)
        loop = asyncio.get_running_loop()
        loop.add_reader(master, self._readable)
        self.reader._write_raw = self._write
        return self.url

    def unplug(self) -> None:
        """Like pulling the USB cable: the agent's next read fails and the device node goes away."""
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        self._pending.clear()
        self.reader._write_raw = None
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)  # type: ignore[arg-type]
        self._master = self._slave = None

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError:
            return  # the agent closed its end; the pty stays ours until unplug
        if data:
            self.reader.receive(data)

    def _write(self, data: bytes) -> None:
        self._pending.extend(data)
        self._flush()

    def _flush(self) -> None:
        """Write what the pty takes now; wait for it to drain before writing the rest."""
        if self._master is None:
            self._pending.clear()
            return
        loop = asyncio.get_running_loop()
        try:
            written = os.write(self._master, self._pending) if self._pending else 0
        except BlockingIOError:
            written = 0
        del self._pending[:written]
        if self._pending:
            loop.add_writer(self._master, self._flush)
        else:
            loop.remove_writer(self._master)

    def close(self) -> None:
        self.unplug()
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()


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
