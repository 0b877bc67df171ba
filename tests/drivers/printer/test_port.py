"""Printer ports over real transports: a loopback TCP printer, pyserial's loop:// and socket://, a pty,
and a file. The TCP "printer" is a thread answering DLE EOT the way a real one does."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from domain.events import PrinterCondition as C
from drivers.printer.port import PortError, open_port
from drivers.printer.receipt import receipt_from_document
from drivers.printer.render import render
from drivers.printer.status import StatusCheck
from tests.drivers.printer.samples import SALE, STORE

IDLE = 0x12
SHORT = 0.05  # seconds a read waits for a printer that stays silent


class LoopbackPrinter:
    """Accepts one connection, keeps what it is sent, answers each DLE EOT n with `answers[n]` (or
    not at all when n is missing), and hangs up when told to."""

    def __init__(self, answers: dict[int, int]) -> None:
        self.answers = answers
        self.received = bytearray()
        self.scanned = 0  # requests before this offset are answered
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hang_up = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        connection.settimeout(0.01)
        with connection:
            while not self.hang_up.is_set():
                try:
                    data = connection.recv(256)
                except TimeoutError:
                    continue
                if not data:
                    return
                self.received += data
                while (at := self.received.find(b"\x10\x04", self.scanned)) >= 0 and at + 2 < len(self.received):
                    self.scanned = at + 3
                    if self.received[at + 2] in self.answers:
                        connection.sendall(bytes([self.answers[self.received[at + 2]]]))

    def close(self) -> None:
        self.hang_up.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def printer() -> Iterator[LoopbackPrinter]:
    server = LoopbackPrinter({1: IDLE, 2: IDLE, 4: IDLE | 0x0C})
    yield server
    server.close()


def status_round(port, timeout: float = 1.0) -> frozenset[C]:
    """How the agent drives a status check over a port."""
    check = StatusCheck()
    while (query := check.next_request()) is not None:
        port.write(query)
        reply = port.read(timeout) if port.can_read else b""
        if reply:
            check.receive_data(reply)
        else:
            check.no_reply()
    return check.result()


def test_tcp_status_before_and_after_a_receipt(printer):
    receipt = render(receipt_from_document(SALE, STORE), columns=32)
    port = open_port(f"tcp://127.0.0.1:{printer.port}")
    port.open()
    try:
        assert status_round(port) == {C.PAPER_NEAR_END}
        port.write(receipt)
        assert status_round(port) == {C.PAPER_NEAR_END}
    finally:
        port.close()
    printer.thread.join(timeout=5)
    queries = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"
    assert bytes(printer.received) == queries + receipt + queries


def test_a_silent_tcp_printer_reads_as_nothing_then_no_reply():
    server = LoopbackPrinter({})
    port = open_port(f"tcp://127.0.0.1:{server.port}")
    port.open()
    try:
        assert port.read(SHORT) == b""
        assert port.read(0) == b""
        assert status_round(port, SHORT) == {C.NO_REPLY}
    finally:
        port.close()
        server.close()


def test_a_printer_that_hangs_up_is_a_port_error():
    server = LoopbackPrinter({})
    port = open_port(f"tcp://127.0.0.1:{server.port}")
    port.open()
    server.close()
    with pytest.raises(PortError, match=r"read failed: the printer closed the connection"):
        port.read(1.0)
    port.close()


def test_nobody_listening_is_a_port_error_naming_the_url():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        free = probe.getsockname()[1]
    port = open_port(f"tcp://127.0.0.1:{free}")
    with pytest.raises(PortError, match=rf"printer tcp://127.0.0.1:{free}: cannot open"):
        port.open()


def test_using_a_port_before_open_is_refused():
    port = open_port("tcp://127.0.0.1")
    with pytest.raises(PortError, match="not open"):
        port.write(b"x")
    with pytest.raises(PortError, match="not open"):
        port.read(SHORT)
    port.close()  # harmless


def test_serial_loop_url_reads_back_what_was_written():
    port = open_port("serial:loop://?baudrate=19200")
    port.open()
    try:
        port.write(bytes([IDLE, IDLE | 0x08]))
        assert port.read(1.0) == bytes([IDLE, IDLE | 0x08])
        assert port.read(SHORT) == b""
    finally:
        port.close()


def test_serial_socket_url_reaches_a_tcp_printer(printer):
    port = open_port(f"serial:socket://127.0.0.1:{printer.port}")
    port.open()
    try:
        assert status_round(port) == {C.PAPER_NEAR_END}
    finally:
        port.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ptys are a Linux test convenience")
def test_serial_over_a_pty():
    controller, device = os.openpty()
    try:
        port = open_port(f"serial://{os.ttyname(device)}?baudrate=19200")
        port.open()
        port.write(b"\x10\x04\x01")
        assert os.read(controller, 16) == b"\x10\x04\x01"
        os.write(controller, bytes([IDLE | 0x08]))
        assert port.read(1.0) == bytes([IDLE | 0x08])
        port.close()
    finally:
        os.close(controller)
        os.close(device)


def test_a_serial_device_that_is_not_there_is_a_port_error():
    port = open_port("serial:/dev/recoup-no-such-printer")
    with pytest.raises(PortError, match="printer serial:/dev/recoup-no-such-printer: cannot open"):
        port.open()


def test_file_port_appends_and_never_reads(tmp_path):
    target = tmp_path / "printer.bin"
    port = open_port(f"file://{target}")
    assert not port.can_read
    for job in (b"first\n", b"second\n"):
        port.open()
        port.write(job)
        assert port.read(1.0) == b""
        port.close()
    assert target.read_bytes() == b"first\nsecond\n"
    port.open()
    assert status_round(port) == {C.NO_REPLY}
    port.close()


def test_a_file_in_a_missing_folder_is_a_port_error(tmp_path):
    with pytest.raises(PortError, match="cannot open"):
        open_port(f"file://{tmp_path}/missing/printer.bin").open()


@pytest.mark.skipif(importlib.util.find_spec("usb") is not None, reason="pyusb is installed here")
def test_usb_without_pyusb_says_which_extra_to_install():
    port = open_port("usb://04b8:0202")
    with pytest.raises(PortError, match=r"need pyusb.*recoup\[usb\]"):
        port.open()


@pytest.mark.parametrize(("url", "fields"), [
    ("tcp://printer.local", {"host": "printer.local", "port": 9100}),
    ("tcp://10.0.0.5:9101", {"host": "10.0.0.5", "port": 9101}),
    ("serial:COM3", {"device": "COM3", "baudrate": 9600, "flow": "none"}),
    ("serial:///dev/ttyUSB0?baudrate=19200", {"device": "/dev/ttyUSB0", "baudrate": 19200}),
    ("serial:/dev/serial/by-id/usb-Printer?flow=dsrdtr", {"device": "/dev/serial/by-id/usb-Printer",
                                                          "flow": "dsrdtr"}),
    ("serial:socket://127.0.0.1:7003?logging=debug&baudrate=115200",
     {"device": "socket://127.0.0.1:7003?logging=debug", "baudrate": 115200}),
    ("usb://04b8:0202", {"vendor": 0x04B8, "product": 0x0202, "in_ep": 0x82, "out_ep": 0x01}),
    ("usb://0416:5011?in_ep=0x81&out_ep=0x03", {"vendor": 0x0416, "product": 0x5011, "in_ep": 0x81, "out_ep": 3}),
    ("file:///dev/usb/lp0", {"path": "/dev/usb/lp0"}),
    ("file://receipts.bin", {"path": "receipts.bin"}),
])
def test_urls(url, fields):
    port = open_port(url, timeout=2.5)
    assert port.url == url and port.timeout == 2.5
    assert port.can_read == (not url.startswith("file:"))
    for name, value in fields.items():
        assert getattr(port, name) == value


@pytest.mark.parametrize(("url", "match"), [
    ("printer.local:9100", "scheme 'printer.local' is not one of tcp://, serial:, usb://, file://"),
    ("lpt://1", "scheme 'lpt'"),
    ("tcp://", "no host"),
    ("tcp://:9100", "no host"),
    ("tcp://host:http", "port 'http' is not a number 1..65535"),
    ("tcp://host:0", "port '0'"),
    ("tcp://host:70000", "port '70000'"),
    ("tcp://host/queue", "unexpected path '/queue'"),
    ("tcp://host?x=1", "unexpected query 'x=1'"),
    ("tcp://[::1]:9100", "IPv6"),
    ("serial:", "no device"),
    ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate 'fast' is not a number"),
    ("serial:COM3?baud=9600", "unknown option 'baud'"),
    ("serial:COM3?flow=hardware", "flow 'hardware' is not one of none, rtscts, dsrdtr, xonxoff"),
    ("usb://04b8", "write usb://VID:PID"),
    ("usb://epson:0202", "vendor id 'epson' is not a hex number"),
    ("usb://04b8:", "product id '' is not a hex number"),
    ("usb://04b8:0202?in_ep=zz", "in_ep 'zz' is not a hex number"),
    ("usb://04b8:0202?ep=1", "unknown option 'ep'"),
    ("file://", "no path after file://"),
    ("file:/tmp/x", "scheme 'file'"),
])
def test_bad_urls_name_what_is_wrong(url, match):
    with pytest.raises(ValueError, match=match) as error:
        open_port(url)
    assert repr(url) in str(error.value)


@pytest.mark.parametrize("timeout", [0, -1, "1", True])
def test_bad_timeouts(timeout):
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        open_port("tcp://host", timeout=timeout)
