"""The virtual printer on a real line: raw TCP printing on port 9100, the way network receipt printers take
jobs (python-escpos's `Network` connector, or anything that writes to a socket), or the device end of a
pty standing in for a serial printer. The agent on the other end cannot tell it from the real thing.

A connection is a job's life on the printer: it starts the interpreter from power-on, and whatever came
out when it closes is recorded, so a job cut short by a dropped line still leaves its paper behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from simulator.printer.device import VirtualPrinter


class TcpPrinterPort:
    """Port 9100 raw printing. One connection is served at a time, as by a real print server; a second
    one waits, unread, until the first closes, so two jobs never interleave on the paper."""

    def __init__(self, printer: VirtualPrinter, host: str = "127.0.0.1", port: int = 9100) -> None:
        self.printer = printer
        self.host, self.port = host, port
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._turn = asyncio.Lock()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        """Open connections: the one being printed and any waiting their turn."""
        return len(self._writers)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            async with self._turn:
                if not writer.is_closing():  # not dropped while it waited its turn
                    await self._print(reader, writer)
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()

    async def _print(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.printer.reset()
        try:
            while data := await reader.read(4096):
                if reply := self.printer.receive(data):
                    writer.write(reply)
        except ConnectionError:
            pass
        finally:
            self.printer.flush()

    def drop(self) -> None:
        """Cut every connection, as a network cable pulled out of the printer would."""
        for writer in self._writers:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


class PtyPrinterPort:
    """The printer's serial port on a pty (Linux/macOS), optionally published at a stable link path as
    udev does for /dev/serial/by-id/…. `plug()` returns what the agent opens: the link, or the pty."""

    def __init__(self, printer: VirtualPrinter, link: Path | None = None) -> None:
        self.printer = printer
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
        self.printer.reset()
        asyncio.get_running_loop().add_reader(master, self._readable)
        return self.url

    def unplug(self) -> None:
        """Pull the cable: the agent's next write fails, and the paper already out is recorded."""
        if self._master is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._master)
        loop.remove_writer(self._master)
        self._pending.clear()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)  # type: ignore[arg-type]
        self._master = self._slave = None
        self.printer.flush()

    def close(self) -> None:
        self.unplug()
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except OSError:
            return  # nothing yet, or the agent closed its end; the pty stays ours until unplug
        if reply := self.printer.receive(data):
            self._pending += reply
            self._flush()

    def _flush(self) -> None:
        """Write what the pty takes now; wait for it to drain before writing the rest."""
        assert self._master is not None
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
