"""The virtual printer on a real line: raw TCP printing on port 9100, the way network receipt printers take
jobs (python-escpos's `Network` connector, or anything that writes to a socket), or the device end of a
pty standing in for a serial printer. The agent on the other end cannot tell it from the real thing.

A connection is a job's life on the printer: it starts the interpreter from power-on, and whatever came
out when it closes is recorded, so a job cut short by a dropped line still leaves its paper behind.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from simulator.printer.device import VirtualPrinter
from simulator.pty import PtyPort


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


class PtyPrinterPort(PtyPort):
    """The printer's serial port on a pty, standing in for a USB serial cable to the printer."""

    def __init__(self, printer: VirtualPrinter, link: Path | None = None) -> None:
        super().__init__(link)
        self.printer = printer

    def received(self, data: bytes) -> None:
        if reply := self.printer.receive(data):
            self.write(reply)

    def plugged_in(self) -> None:
        """Power-on: the interpreter starts afresh, as on a new TCP connection."""
        self.printer.reset()

    def pulled_out(self) -> None:
        """The agent's next write fails, and the paper already out is recorded."""
        self.printer.flush()
