"""The ways to reach a printer, chosen by one URL-like config value, around python-escpos connectors.

python-escpos writes well, but its reads are not fit for a status check: `_read` waits for as long as
the connector's own timeout (for ever on USB, 60 s on a network printer by default), and the status
helpers take an empty read as good news. So writes go through each connector's `_raw`, while reads go
to the device underneath with the caller's timeout, and come back empty when the printer is silent —
which the status core then reads as unknown.

    tcp://HOST[:PORT]                         python-escpos Network, port 9100 by default
    serial:DEVICE-OR-PYSERIAL-URL[?baudrate=N&flow=F]
                                              python-escpos Serial, opened with pyserial's serial_for_url
    usb://VID:PID[?in_ep=0x82&out_ep=0x01]    python-escpos Usb (needs pyusb: the recoup[usb] extra)
    file://PATH                               python-escpos File: a device node or a capture; write only
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
from typing import Any

import serial
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File, Network, Serial

from drivers.printer.url import parse_url

_READ_SIZE = 256


class PortError(OSError):
    """The printer's port failed: it could not be opened, or a write or read on it failed."""


class PrinterPort:
    """A thin blocking transport: bytes to the printer, and whatever it answers within a timeout."""

    can_read = True

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._connector: Escpos | None = None

    def open(self) -> None:
        self.close()
        try:
            self._connector = self._open()
        except (DeviceNotFoundError, OSError, ValueError) as error:
            raise PortError(f"printer {self.url}: cannot open: {error}") from error

    def write(self, data: bytes) -> None:
        connector = self._opened()
        try:
            self._before_write(len(data))
            connector._raw(bytes(data))
        except OSError as error:
            raise PortError(f"printer {self.url}: write failed: {error}") from error

    def read(self, timeout: float) -> bytes:
        """What the printer sent within `timeout` seconds (waiting for the first byte, not for more),
        or b"" if it sent nothing."""
        self._opened()
        try:
            return self._read(max(timeout, 0.0))
        except OSError as error:
            raise PortError(f"printer {self.url}: read failed: {error}") from error

    def close(self) -> None:
        connector, self._connector = self._connector, None
        if connector is not None:
            with contextlib.suppress(OSError):  # closing a port that already failed: nothing left to release
                connector.close()

    def _opened(self) -> Escpos:
        if self._connector is None:
            raise PortError(f"printer {self.url}: the port is not open")
        return self._connector

    @property
    def _device(self) -> Any:  # a socket, a pyserial port, a pyusb device or a file
        """The connector's device, read without python-escpos's habit of opening it on first access."""
        return self._opened()._device

    def _open(self) -> Escpos:
        raise NotImplementedError

    def _before_write(self, size: int) -> None:
        """Set a write deadline where the connector has none of its own."""

    def _read(self, timeout: float) -> bytes:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class _TcpPort(PrinterPort):
    def __init__(self, url: str, timeout: float, host: str, port: int) -> None:
        super().__init__(url, timeout)
        self.host, self.port = host, port

    def _open(self) -> Escpos:
        connector = Network(self.host, self.port, timeout=self.timeout)
        connector.open()
        # python-escpos leaves Nagle on: the 3-byte DLE EOT after a receipt would wait for the ACK of the
        # receipt's last segment, which printers delay (~40 ms per status check, measured by bench.printer).
        connector.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connector

    def _before_write(self, size: int) -> None:
        self._device.settimeout(self.timeout)

    def _read(self, timeout: float) -> bytes:
        self._device.settimeout(timeout)
        try:
            data = self._device.recv(_READ_SIZE)
        except (TimeoutError, BlockingIOError):  # BlockingIOError: a zero timeout makes the socket non-blocking
            return b""
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        return data


class _SerialPort(PrinterPort):
    """Opened with pyserial's `serial_for_url` and handed to python-escpos's Serial connector, because
    that connector opens `serial.Serial(port=...)`, which takes only device names: no `socket://` (the
    simulator's printer), no `rfc2217://` (serial device servers), no `loop://`."""

    def __init__(self, url: str, timeout: float, device: str, baudrate: int, flow: str) -> None:
        super().__init__(url, timeout)
        self.device, self.baudrate, self.flow = device, baudrate, flow

    def _open(self) -> Escpos:
        connector = Serial(self.device, baudrate=self.baudrate, timeout=self.timeout)
        connector.device = serial.serial_for_url(
            self.device, baudrate=self.baudrate, timeout=self.timeout, write_timeout=self.timeout,
            rtscts=self.flow == "rtscts", dsrdtr=self.flow == "dsrdtr", xonxoff=self.flow == "xonxoff")
        return connector

    def _before_write(self, size: int) -> None:
        """A receipt takes seconds at 9600 baud, and a printer holding the line busy (flow control,
        paper out) must end in an error, not a hang: allow twice the line time, plus the timeout."""
        self._device.write_timeout = self.timeout + 20 * size / self.baudrate

    def _read(self, timeout: float) -> bytes:
        device = self._device
        device.timeout = timeout
        first = device.read(1)
        return first + device.read(device.in_waiting) if first else b""


class _UsbPort(PrinterPort):
    def __init__(self, url: str, timeout: float, vendor: int, product: int, in_ep: int, out_ep: int) -> None:
        super().__init__(url, timeout)
        self.vendor, self.product, self.in_ep, self.out_ep = vendor, product, in_ep, out_ep

    def _open(self) -> Escpos:
        # Checked here, not at import: python-escpos's Usb raises RuntimeError from every method (close
        # included, which it calls from __del__) when pyusb is missing.
        if importlib.util.find_spec("usb") is None:
            raise PortError("usb:// printers need pyusb, which is not installed: pip install 'recoup[usb]'")
        from escpos.printer import Usb

        connector = Usb(self.vendor, self.product, timeout=int(self.timeout * 1000), in_ep=self.in_ep,
                        out_ep=self.out_ep)
        connector.open()
        return connector

    def _read(self, timeout: float) -> bytes:
        import usb.core

        try:
            return bytes(self._device.read(self.in_ep, _READ_SIZE, max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""


class _FilePort(PrinterPort):
    """A device node (/dev/usb/lp0, a parallel port) or a capture file. Opened for appending, unlike
    python-escpos's File, so a capture keeps every job rather than the last. Nothing can answer through
    a file, so every status round through it comes back NO_REPLY."""

    can_read = False

    def __init__(self, url: str, timeout: float, path: str) -> None:
        super().__init__(url, timeout)
        self.path = path

    def _open(self) -> Escpos:
        connector = File(self.path)
        connector.device = open(self.path, "ab")  # noqa: SIM115 - closed by the connector's close()
        return connector

    def _read(self, timeout: float) -> bytes:
        return b""


_PORTS: dict[str, type[PrinterPort]] = {"tcp": _TcpPort, "serial": _SerialPort, "usb": _UsbPort, "file": _FilePort}


def open_port(url: str, *, timeout: float = 1.0) -> PrinterPort:
    """The port for a config value, not yet connected. A malformed value raises ValueError naming the
    part that is wrong."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"printer timeout must be a positive number of seconds, got {timeout!r}")
    scheme, options = parse_url(url)
    return _PORTS[scheme](url, timeout, **options)
