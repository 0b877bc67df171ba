"""ISO 8583 bytes ↔ field dictionaries, and the 2-byte big-endian length framing used on TCP.

pyiso8583 does the field work; this module chooses the spec (default_ascii, so any ISO 8583 tool can
talk to the virtual acquirer; another variant from config), frames messages on a byte stream, and turns
the library's errors into ours so the caller knows whose fault a bad message is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import iso8583
from iso8583 import specs

from drivers.errors import LocalProtocolError, RemoteProtocolError

SPECS: dict[str, Mapping[str, Mapping[str, Any]]] = {
    "default_ascii": specs.default_ascii,
    "default": specs.default,
}
DEFAULT_SPEC = "default_ascii"
HEADER = 2
MAX_MESSAGE = 8192  # far above any message of ours; a bigger length header means the stream is garbage

Fields = dict[str, str]


def spec_named(name: str) -> Mapping[str, Mapping[str, Any]]:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown ISO 8583 spec {name!r}; known: {', '.join(sorted(SPECS))}") from None


def encode(fields: Mapping[str, str], spec: Mapping[str, Mapping[str, Any]] = specs.default_ascii) -> bytes:
    """Encode one message (field "t" is the MTI). A field we cannot encode is our bug: LocalProtocolError."""
    try:
        data, _ = iso8583.encode(dict(fields), spec)
    except iso8583.EncodeError as exc:
        raise LocalProtocolError(f"cannot encode ISO 8583 message {fields.get('t', '????')}: {exc}") from exc
    return bytes(data)


def decode(data: bytes, spec: Mapping[str, Mapping[str, Any]] = specs.default_ascii) -> Fields:
    """Decode one message; a malformed one is the peer's fault: RemoteProtocolError naming the field."""
    try:
        fields, _ = iso8583.decode(bytes(data), spec)
    except iso8583.DecodeError as exc:
        raise RemoteProtocolError(f"malformed ISO 8583 message: {exc}") from exc
    except (UnicodeDecodeError, ValueError, IndexError, KeyError) as exc:  # library gaps on odd input
        raise RemoteProtocolError(f"malformed ISO 8583 message: {type(exc).__name__}: {exc}") from exc
    fields.pop("p", None)
    fields.pop("1", None)
    return fields


def frame(message: bytes) -> bytes:
    if len(message) > MAX_MESSAGE:
        raise LocalProtocolError(f"message of {len(message)} bytes is longer than {MAX_MESSAGE}")
    return len(message).to_bytes(HEADER, "big") + message


class Deframer:
    """Splits a TCP byte stream into messages. After a bad length the stream cannot be trusted again,
    so every later call raises too: the caller drops the connection."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._broken: RemoteProtocolError | None = None

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_message(self) -> bytes | None:
        if self._broken:
            raise self._broken
        if len(self._buffer) < HEADER:
            return None
        length = int.from_bytes(self._buffer[:HEADER], "big")
        if length == 0 or length > MAX_MESSAGE:
            self._broken = RemoteProtocolError(
                f"length header {self._buffer[:HEADER].hex()} announces {length} bytes "
                f"(allowed 1..{MAX_MESSAGE}); the stream is out of step")
            raise self._broken
        if len(self._buffer) < HEADER + length:
            return None
        message = bytes(self._buffer[HEADER:HEADER + length])
        del self._buffer[:HEADER + length]
        return message

    @property
    def pending(self) -> int:
        return len(self._buffer)
