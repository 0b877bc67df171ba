"""The virtual printer on real lines: loopback TCP (port 9100 raw printing) and a pty opened with pyserial."""

from __future__ import annotations

import asyncio
import socket
import sys

import pytest

from domain.events import PrinterCondition as C
from simulator.printer.device import PrintedReceipt, VirtualPrinter
from simulator.printer.server import PtyPrinterPort, TcpPrinterPort

WAIT = 10.0
SILENCE = 0.2  # how long "no answer" is waited for; the only waits on the clock in these tests
EOT = b"\x10\x04"
JOB = b"\x1b@" + EOT + b"\x04" + b"\x1bE\x01Corner Shop\n\x1bE\x00SALE 12.50\n" + EOT + b"\x02" + b"\x1dV\x00"


def read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data


def ask(conn: socket.socket, data: bytes, answers: int) -> bytes:
    conn.sendall(data)
    return read_exactly(conn, answers)


def nothing_within(conn: socket.socket, seconds: float) -> bool:
    conn.settimeout(seconds)
    try:
        return conn.recv(1) == b""  # closed counts as nothing, too
    except TimeoutError:
        return True
    finally:
        conn.settimeout(WAIT)


async def blocking(function, *args):
    return await asyncio.wait_for(asyncio.to_thread(function, *args), WAIT)


async def until(condition) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0)  # one turn of the event loop, not a wait on the clock

    await asyncio.wait_for(poll(), WAIT)


async def serving(printer: VirtualPrinter) -> tuple[TcpPrinterPort, str, int, asyncio.Queue[PrintedReceipt]]:
    port = TcpPrinterPort(printer, port=0)
    url = await port.start()
    receipts: asyncio.Queue[PrintedReceipt] = asyncio.Queue()
    printer.observers.append(receipts.put_nowait)
    host, number = url.removeprefix("tcp://").split(":")
    return port, host, int(number), receipts


def test_tcp_answers_status_for_each_state_and_records_the_receipt():
    async def main():
        printer = VirtualPrinter()
        port, host, number, receipts = await serving(printer)
        assert port.url == f"tcp://127.0.0.1:{number}" and number != 0
        conn = await blocking(socket.create_connection, (host, number), WAIT)
        with conn:
            assert await blocking(ask, conn, JOB, 2) == b"\x12\x12"
            assert (await asyncio.wait_for(receipts.get(), WAIT)).document.lines[0].text == "Corner Shop"
            for condition, n, expected in [(C.OFFLINE, 1, 0x1A), (C.COVER_OPEN, 2, 0x16), (C.PAPER_END, 4, 0x72),
                                           (C.PAPER_NEAR_END, 4, 0x1E), (C.ERROR, 2, 0x52)]:
                printer.clear()
                printer.set(condition)
                assert await blocking(ask, conn, EOT + bytes([n]), 1) == bytes([expected]), condition
            printer.silent = True
            conn.sendall(EOT + b"\x01")
            assert await blocking(nothing_within, conn, SILENCE)
            printer.clear()
            conn.sendall(b"torn off\n")
        assert (await asyncio.wait_for(receipts.get(), WAIT)).text == "torn off\n"  # recorded at close
        await port.close()

    asyncio.run(main())


def test_a_second_connection_waits_for_the_first_and_drop_cuts_them_all():
    async def main():
        printer = VirtualPrinter()
        port, host, number, receipts = await serving(printer)
        first = await blocking(socket.create_connection, (host, number), WAIT)
        second = await blocking(socket.create_connection, (host, number), WAIT)
        assert await blocking(ask, first, b"first\n" + EOT + b"\x01", 1) == b"\x12"
        second.sendall(b"second\n" + EOT + b"\x01")
        assert await blocking(nothing_within, second, SILENCE)
        first.close()
        assert await blocking(read_exactly, second, 1) == b"\x12"
        assert (await asyncio.wait_for(receipts.get(), WAIT)).text == "first\n"
        third = await blocking(socket.create_connection, (host, number), WAIT)
        await until(lambda: port.connections == 2)  # the server has taken the third one in
        port.drop()
        assert await blocking(second.recv, 1) == b""
        assert await blocking(third.recv, 1) == b""
        assert (await asyncio.wait_for(receipts.get(), WAIT)).text == "second\n"
        fourth = await blocking(socket.create_connection, (host, number), WAIT)
        assert await blocking(ask, fourth, EOT + b"\x02", 1) == b"\x12"  # still serving after a drop
        for conn in (second, third, fourth):
            conn.close()
        await port.close()

    asyncio.run(main())


@pytest.mark.skipif(sys.platform == "win32", reason="ptys are Linux/macOS")
def test_pty_end_to_end_with_pyserial_through_a_stable_link(tmp_path):
    serial = pytest.importorskip("serial")

    async def main():
        printer = VirtualPrinter(columns=32)
        receipts: asyncio.Queue[PrintedReceipt] = asyncio.Queue()
        printer.observers.append(receipts.put_nowait)
        port = PtyPrinterPort(printer, link=tmp_path / "printer")
        url = port.plug()
        assert url == str(tmp_path / "printer")
        line = serial.serial_for_url(url, timeout=WAIT)
        try:
            printer.set(C.PAPER_NEAR_END)
            line.write(JOB)
            assert await blocking(line.read, 2) == b"\x1e\x12"
            receipt = await asyncio.wait_for(receipts.get(), WAIT)
            assert [item.text for item in receipt.document.lines] == ["Corner Shop", "SALE 12.50"]
            line.write(b"left in the printer\n" + EOT + b"\x01")
            assert await blocking(line.read, 1) == b"\x12"  # the answer comes after the text was read
            port.unplug()
            assert (await asyncio.wait_for(receipts.get(), WAIT)).text == "left in the printer\n"
            line.close()
            assert port.plug() == url  # the same name, a new pty behind it
            line = serial.serial_for_url(url, timeout=WAIT)
            line.write(EOT + b"\x04")
            assert await blocking(line.read, 1) == b"\x1e"  # the paper is as low as before
        finally:
            line.close()
            port.close()
        assert not (tmp_path / "printer").exists()

    asyncio.run(main())
