"""The printer setting, read: one URL-like value naming the connector and its options.

A typo here otherwise surfaces as a printer that "does not print" at the first sale, so every part is
checked when the config is read, and the error names the part.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

DEFAULT_TCP_PORT = 9100
FLOW = ("none", "rtscts", "dsrdtr", "xonxoff")
SCHEMES = "tcp://, serial:, usb://, file://"
_HEX = frozenset("0123456789abcdefABCDEF")


def parse_url(url: str) -> tuple[str, dict[str, Any]]:
    """The scheme, and the options its port takes."""
    if not isinstance(url, str):
        raise ValueError(f"printer URL must be text, got {url!r}")
    scheme, _, rest = url.partition(":")
    if scheme == "tcp":
        return scheme, _tcp(url)
    if scheme == "serial":
        return scheme, _serial(url, rest)
    if scheme == "usb":
        return scheme, _usb(url)
    if scheme == "file" and rest.startswith("//"):
        if not rest[2:]:
            raise ValueError(f"printer URL {url!r}: no path after file://")
        return scheme, {"path": rest[2:]}
    raise ValueError(f"printer URL {url!r}: scheme {scheme!r} is not one of {SCHEMES}")


def _tcp(url: str) -> dict[str, Any]:
    if "[" in url:
        raise ValueError(f"printer URL {url!r}: IPv6 addresses are not supported (python-escpos Network is IPv4)")
    parts = urlsplit(url)
    for name, value in (("user", parts.username), ("path", parts.path), ("query", parts.query),
                        ("fragment", parts.fragment)):
        if value:
            raise ValueError(f"printer URL {url!r}: unexpected {name} {value!r}; write tcp://HOST[:PORT]")
    if not parts.hostname:
        raise ValueError(f"printer URL {url!r}: no host; write tcp://HOST[:PORT]")
    _, colon, port = parts.netloc.rpartition(":")
    if not colon:
        return {"host": parts.hostname, "port": DEFAULT_TCP_PORT}
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"printer URL {url!r}: port {port!r} is not a number 1..65535")
    return {"host": parts.hostname, "port": int(port)}


def _serial(url: str, rest: str) -> dict[str, Any]:
    """Our options (baudrate, flow) are taken out of the query; a pyserial URL keeps its own, such as
    socket://host:port?logging=debug."""
    device, _, query = rest.removeprefix("//").partition("?")
    options = {"baudrate": "9600", "flow": "none"}
    passed_on = []
    for param in filter(None, query.split("&")):
        key, _, value = param.partition("=")
        if key in options:
            options[key] = value
        else:
            passed_on.append(param)
    if not device:
        raise ValueError(f"printer URL {url!r}: no device after serial:")
    if passed_on and "://" not in device:
        raise ValueError(f"printer URL {url!r}: unknown option {passed_on[0].partition('=')[0]!r}; "
                         "serial devices take baudrate and flow")
    baudrate = options["baudrate"]
    if not (baudrate.isascii() and baudrate.isdigit() and 50 <= int(baudrate) <= 4_000_000):
        raise ValueError(f"printer URL {url!r}: baudrate {baudrate!r} is not a number 50..4000000")
    if options["flow"] not in FLOW:
        raise ValueError(f"printer URL {url!r}: flow {options['flow']!r} is not one of {', '.join(FLOW)}")
    if passed_on:
        device += "?" + "&".join(passed_on)
    return {"device": device, "baudrate": int(baudrate), "flow": options["flow"]}


def _usb(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    vendor, colon, product = parts.netloc.partition(":")
    if not colon or parts.path:
        raise ValueError(f"printer URL {url!r}: write usb://VID:PID with the ids in hex, e.g. usb://04b8:0202")
    found = {"vendor": _hex(url, "vendor id", vendor, 4), "product": _hex(url, "product id", product, 4),
             "in_ep": 0x82, "out_ep": 0x01}  # python-escpos's defaults, right for Epson
    for param in filter(None, parts.query.split("&")):
        key, _, value = param.partition("=")
        if key not in ("in_ep", "out_ep"):
            raise ValueError(f"printer URL {url!r}: unknown option {key!r}; usb printers take in_ep and out_ep")
        found[key] = _hex(url, key, value.removeprefix("0x"), 2, shown=value)
    return found


def _hex(url: str, name: str, digits: str, most: int, shown: str | None = None) -> int:
    if not (1 <= len(digits) <= most and set(digits) <= _HEX):
        text = digits if shown is None else shown
        raise ValueError(f"printer URL {url!r}: {name} {text!r} is not a hex number of 1 to {most} digits")
    return int(digits, 16)
