"""python-escpos's own `Network` connector — what the agent's printer driver uses for port 9100 — prints to
the virtual printer over loopback TCP, and asks it for status the way the library does.

python-escpos encodes CJK text in GB18030 but never sends FS &: it assumes a printer sold in China, which
powers on in Chinese mode. The virtual printer here powers on in code page mode, so the job switches
Chinese mode on itself, as the agent's driver does (DESIGN §3.1).
"""

from __future__ import annotations

import asyncio

import pytest

from domain.events import PrinterCondition as C
from simulator.printer.device import PrintedReceipt, VirtualPrinter
from simulator.printer.document import CUT_MARK
from simulator.printer.interpreter import render
from simulator.printer.server import TcpPrinterPort

escpos_printer = pytest.importorskip("escpos.printer", reason="python-escpos is a runtime dependency")

WAIT = 10.0
ITEMS = ["小店 Corner Shop", "消费 / SALE", "合计 Total: ¥12.50", "Card 411111******1111", "Auth 123456",
         "[qr:https://example.com/r/0001]", "[barcode:4006381333931]", "谢谢惠顾 Thank you"]


def write_receipt(printer) -> None:
    printer.hw("INIT")
    printer._raw(b"\x1c&")  # FS &: Chinese (GB18030) mode
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.textln("小店 Corner Shop")
    printer.set_with_default()
    printer.textln("消费 / SALE")
    printer.set(align="right")
    printer._raw("合计 Total: ¥12.50\n".encode("gb18030"))  # GB18030 written raw, as integrators often do
    printer.set(align="left", underline=1)
    printer.textln("Card 411111******1111")
    printer.set_with_default(bold=True)
    printer.text("Auth ")
    printer.set(bold=False)
    printer.textln("123456")
    printer.qr("https://example.com/r/0001", native=True, size=4)
    printer.barcode("4006381333931", "EAN13")
    printer.set(align="center")
    printer.textln("谢谢惠顾 Thank you")
    printer.cut()


def print_over_the_network(host: str, port: int) -> tuple[int, bool]:
    printer = escpos_printer.Network(host, port, timeout=WAIT)
    try:
        paper = printer.paper_status()
        write_receipt(printer)
        return paper, printer.is_online()
    finally:
        printer.close()


def run(printer: VirtualPrinter) -> tuple[tuple[int, bool], PrintedReceipt | None]:
    async def main():
        port = TcpPrinterPort(printer, port=0)
        host, number = (await port.start()).removeprefix("tcp://").split(":")
        closed = asyncio.Event()
        printer.observers.append(lambda receipt: closed.set())
        try:
            answers = await asyncio.wait_for(asyncio.to_thread(print_over_the_network, host, int(number)), WAIT)
            if printer.printing:
                await asyncio.wait_for(closed.wait(), WAIT)
        finally:
            await port.close()  # waits for the connection to be read to its end
        return answers, printer.receipts[-1] if printer.receipts else None

    return asyncio.run(main())


def test_a_python_escpos_receipt_prints_over_tcp_and_reads_back_like_the_interpreter_reads_it():
    printer = VirtualPrinter(columns=48)
    printer.set(C.PAPER_NEAR_END)
    (paper, online), receipt = run(printer)
    assert (paper, online) == (1, True)  # python-escpos: 1 = paper ending
    assert receipt is not None and not receipt.torn and receipt.cut is not None
    for item in ITEMS:
        assert item in receipt.text, item
    dummy = escpos_printer.Dummy()
    write_receipt(dummy)
    assert receipt.text + CUT_MARK[False] + "\n" == render(dummy.output, columns=48).text(48)
    [heading] = [line for line in receipt.document.lines if "Corner Shop" in line.text]
    assert heading.styled(bold=True, width=2, height=2) == "小店 Corner Shop"


def test_python_escpos_sees_paper_end_and_its_job_is_lost():
    printer = VirtualPrinter()
    printer.set(C.PAPER_END)
    (paper, online), receipt = run(printer)
    assert (paper, online, receipt) == (0, True, None)
    assert printer.lost > 0


def test_python_escpos_sees_the_printer_offline():
    printer = VirtualPrinter()
    printer.set(C.OFFLINE)
    (paper, online), receipt = run(printer)
    assert (paper, online, receipt) == (2, False, None)
