"""The messages a framed reader and the agent exchange inside link frames, and their byte layout.

Reader to agent ("reports"): a card event, a status, a bad read. Agent to reader ("commands"): enable,
disable, display text, beep. Every message starts with one ASCII type byte so a hex dump reads at a
glance; fields are fixed width or carry a one-byte length, so a decoder never has to guess.

Decoding checks structure only (lengths, character sets, codes) and says which field at which byte
offset is wrong; whether a card is acceptable is `checks`' business. Encoding refuses what the other end
would refuse, so our own bug shows up here as a `LocalProtocolError`, not as a NAK storm on the line.
The layout is documented byte by byte in docs/protocols/card-reader.md.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from typing import TypeVar

from domain.events import EntryMode
from drivers.cardreader.tracks import TRACK2_CHARS, TRACK2_MAX, mask
from drivers.errors import LocalProtocolError, RemoteProtocolError

CARD, STATUS, BAD_READ = ord("C"), ord("S"), ord("B")
ENABLE, DISABLE, DISPLAY, BEEP = ord("E"), ord("D"), ord("T"), ord("Z")

MAX_TEXT = 64  # UTF-8 bytes of a status text, a bad-read detail or one display line
NAME_MAX = 26  # ISO 7813 track 1 name field
BEEP_COUNTS = range(1, 10)
BEEP_MILLIS = range(10, 5001)
_DIGITS = frozenset("0123456789")
_Code = TypeVar("_Code", bound=enum.Enum)
_NAME_CHARS = frozenset(map(chr, range(0x20, 0x7F)))


class ReaderState(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    ERROR = "error"


ENTRY_CODES = {EntryMode.SWIPE: ord("S"), EntryMode.CHIP: ord("C"), EntryMode.TAP: ord("T"),
               EntryMode.FALLBACK: ord("F")}
STATE_CODES = {ReaderState.READY: ord("R"), ReaderState.BUSY: ord("B"), ReaderState.ERROR: ord("E")}
_ENTRY_MODES = {code: mode for mode, code in ENTRY_CODES.items()}
_STATES = {code: state for state, code in STATE_CODES.items()}


@dataclass(frozen=True, repr=False)
class CardEvent:
    """A card presented at the reader, as read. Its repr is masked: it holds a full card number."""

    entry_mode: EntryMode
    track2: str  # track-2 equivalent: PAN '=' YYMM service code discretionary, no sentinels
    expiry: str  # YYMM, as the card states it apart from the track (EMV tag 5F24)
    service_code: str  # as the card states it apart from the track (EMV tag 5F30)
    name: str = ""

    def __repr__(self) -> str:
        masked = mask(self.track2.partition("=")[0]) or "<unreadable card number>"
        return f"CardEvent({self.entry_mode.value}, {masked})"


@dataclass(frozen=True)
class StatusReport:
    state: ReaderState
    text: str = ""


@dataclass(frozen=True)
class BadRead:
    entry_mode: EntryMode
    detail: str = ""


@dataclass(frozen=True)
class Enable:
    """Let the reader accept cards."""


@dataclass(frozen=True)
class Disable:
    """Stop the reader accepting cards (no sale in progress)."""


@dataclass(frozen=True)
class Display:
    line1: str
    line2: str = ""


@dataclass(frozen=True)
class Beep:
    count: int = 1
    millis: int = 100


Report = CardEvent | StatusReport | BadRead
Command = Enable | Disable | Display | Beep


def _show(byte: int) -> str:
    return f"0x{byte:02X} ({chr(byte)!r})" if 0x20 <= byte < 0x7F else f"0x{byte:02X}"


def _ascii_problem(value: str, field: str, alphabet: frozenset[str], sizes: range,
                   base: int | None) -> str | None:
    """Why `value` does not fit the field; offsets are payload offsets when `base` is given."""
    if len(value) not in sizes:
        return f"{field} is {len(value)} characters; it takes {sizes.start} to {sizes.stop - 1}"
    for index, char in enumerate(value):
        if char not in alphabet:
            where = f"index {index} of the field" if base is None else f"offset {base + index}"
            return f"{field} has byte 0x{ord(char):02X} at {where}, outside its character set"
    return None


def _text_problem(text: str, field: str, base: int | None) -> str | None:
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_TEXT:
        return f"{field} is {len(encoded)} bytes of UTF-8; at most {MAX_TEXT} fit"
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cc":
            offset = len(text[:index].encode("utf-8"))
            where = f"byte {offset} of the field" if base is None else f"offset {base + offset}"
            return f"{field} has control character U+{ord(char):04X} at {where}"
    return None


# -- encoding ---------------------------------------------------------------------------------------------


def _refuse(what: str, problem: str | None) -> None:
    if problem:
        raise LocalProtocolError(f"{what}: {problem}")


def _counted(raw: bytes) -> bytes:
    return bytes([len(raw)]) + raw


def _encode_card(event: CardEvent) -> bytes:
    if event.entry_mode not in ENTRY_CODES:
        raise LocalProtocolError(f"card event: entry mode {event.entry_mode!r} is not an EntryMode")
    _refuse("card event", _ascii_problem(event.track2, "track-2 equivalent", TRACK2_CHARS,
                                         range(1, TRACK2_MAX + 1), None))
    _refuse("card event", _ascii_problem(event.expiry, "expiry", _DIGITS, range(4, 5), None))
    _refuse("card event", _ascii_problem(event.service_code, "service code", _DIGITS, range(3, 4), None))
    _refuse("card event", _ascii_problem(event.name, "name", _NAME_CHARS, range(NAME_MAX + 1), None))
    return (bytes([CARD, ENTRY_CODES[event.entry_mode]]) + _counted(event.track2.encode("ascii"))
            + event.expiry.encode("ascii") + event.service_code.encode("ascii")
            + _counted(event.name.encode("ascii")))


def _encode_status(report: StatusReport) -> bytes:
    if report.state not in STATE_CODES:
        raise LocalProtocolError(f"status: state {report.state!r} is not a ReaderState")
    _refuse("status", _text_problem(report.text, "text", None))
    return bytes([STATUS, STATE_CODES[report.state]]) + report.text.encode("utf-8")


def _encode_bad_read(report: BadRead) -> bytes:
    if report.entry_mode not in ENTRY_CODES:
        raise LocalProtocolError(f"bad read: entry mode {report.entry_mode!r} is not an EntryMode")
    _refuse("bad read", _text_problem(report.detail, "detail", None))
    return bytes([BAD_READ, ENTRY_CODES[report.entry_mode]]) + report.detail.encode("utf-8")


def _encode_display(command: Display) -> bytes:
    _refuse("display", _text_problem(command.line1, "line 1", None))
    _refuse("display", _text_problem(command.line2, "line 2", None))
    lines = (command.line1.encode("utf-8"), command.line2.encode("utf-8"))
    return bytes([DISPLAY]) + b"".join(_counted(line) for line in lines)


def _encode_beep(command: Beep) -> bytes:
    limits = (("count", command.count, BEEP_COUNTS), ("millis", command.millis, BEEP_MILLIS))
    for field, value, allowed in limits:
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise LocalProtocolError(f"beep: {field} {value!r} is not {allowed.start}..{allowed.stop - 1}")
    return bytes([BEEP, command.count]) + command.millis.to_bytes(2, "big")


def encode(message: Report | Command) -> bytes:
    """The payload bytes of a report or command; refuses (LocalProtocolError) what may not be sent."""
    try:
        match message:
            case CardEvent():
                return _encode_card(message)
            case StatusReport():
                return _encode_status(message)
            case BadRead():
                return _encode_bad_read(message)
            case Enable():
                return bytes([ENABLE])
            case Disable():
                return bytes([DISABLE])
            case Display():
                return _encode_display(message)
            case Beep():
                return _encode_beep(message)
    except (AttributeError, TypeError) as exc:  # a field of the wrong type, e.g. Display(None)
        raise LocalProtocolError(f"cannot encode {type(message).__name__}: {exc}") from None
    raise LocalProtocolError(f"cannot encode {type(message).__name__}: not a reader report or command")


# -- decoding ---------------------------------------------------------------------------------------------


class _Fields:
    """Reads fields off a payload in order, and says which field at which offset when it cannot."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.what = what
        self.pos = 1  # after the type byte

    def error(self, problem: str) -> RemoteProtocolError:
        return RemoteProtocolError(f"{self.what}: {problem}")

    def take(self, size: int, field: str) -> bytes:
        if self.pos + size > len(self.data):
            raise self.error(f"{field} needs {size} bytes at offset {self.pos} but the "
                             f"{len(self.data)}-byte payload ends first")
        raw = self.data[self.pos:self.pos + size]
        self.pos += size
        return raw

    def code(self, field: str, codes: dict[int, _Code]) -> _Code:
        byte = self.take(1, field)[0]
        if byte not in codes:
            raise self.error(f"{field} byte {_show(byte)} at offset {self.pos - 1} is not one of "
                             f"{', '.join(chr(code) for code in codes)}")
        return codes[byte]

    def ascii(self, raw: bytes, field: str, alphabet: frozenset[str], sizes: range) -> str:
        value = raw.decode("latin-1")
        if problem := _ascii_problem(value, field, alphabet, sizes, self.pos - len(raw)):
            raise self.error(problem)
        return value

    def counted(self, field: str, limit: int) -> bytes:
        size = self.take(1, f"{field} length")[0]
        if size > limit:
            raise self.error(f"{field} length {size} at offset {self.pos - 1} exceeds {limit}")
        return self.take(size, field)

    def text(self, raw: bytes, field: str) -> str:
        base = self.pos - len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error(f"{field} is not UTF-8: byte 0x{raw[exc.start]:02X} at offset "
                             f"{base + exc.start}") from None
        if problem := _text_problem(text, field, base):
            raise self.error(problem)
        return text

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos, "text")

    def done(self) -> None:
        if self.pos != len(self.data):
            raise self.error(f"{len(self.data) - self.pos} unexpected bytes at offset {self.pos} "
                             f"after the last field")


def _decode_card(fields: _Fields) -> CardEvent:
    entry_mode = fields.code("entry mode", _ENTRY_MODES)
    track2 = fields.ascii(fields.counted("track-2 equivalent", TRACK2_MAX), "track-2 equivalent",
                          TRACK2_CHARS, range(1, TRACK2_MAX + 1))
    expiry = fields.ascii(fields.take(4, "expiry"), "expiry", _DIGITS, range(4, 5))
    service_code = fields.ascii(fields.take(3, "service code"), "service code", _DIGITS, range(3, 4))
    name = fields.ascii(fields.counted("name", NAME_MAX), "name", _NAME_CHARS, range(NAME_MAX + 1))
    fields.done()
    return CardEvent(entry_mode, track2, expiry, service_code, name)


def _decode_status(fields: _Fields) -> StatusReport:
    state = fields.code("state", _STATES)
    return StatusReport(state, fields.text(fields.rest(), "text"))


def _decode_bad_read(fields: _Fields) -> BadRead:
    entry_mode = fields.code("entry mode", _ENTRY_MODES)
    return BadRead(entry_mode, fields.text(fields.rest(), "detail"))


def _decode_display(fields: _Fields) -> Display:
    line1 = fields.text(fields.counted("line 1", MAX_TEXT), "line 1")
    line2 = fields.text(fields.counted("line 2", MAX_TEXT), "line 2")
    fields.done()
    return Display(line1, line2)


def _decode_beep(fields: _Fields) -> Beep:
    count = fields.take(1, "count")[0]
    if count not in BEEP_COUNTS:
        raise fields.error(f"count {count} at offset 1 is not {BEEP_COUNTS.start}..{BEEP_COUNTS.stop - 1}")
    millis = int.from_bytes(fields.take(2, "millis"), "big")
    if millis not in BEEP_MILLIS:
        raise fields.error(f"millis {millis} at offset 2 is not {BEEP_MILLIS.start}..{BEEP_MILLIS.stop - 1}")
    fields.done()
    return Beep(count, millis)


def _decode_enable(fields: _Fields) -> Enable:
    fields.done()
    return Enable()


def _decode_disable(fields: _Fields) -> Disable:
    fields.done()
    return Disable()


_REPORTS = {CARD: ("card event", _decode_card), STATUS: ("status", _decode_status),
            BAD_READ: ("bad read", _decode_bad_read)}
_COMMANDS = {ENABLE: ("enable", _decode_enable), DISABLE: ("disable", _decode_disable),
             DISPLAY: ("display", _decode_display), BEEP: ("beep", _decode_beep)}


def _decode(data: bytes, table: dict, kind: str):
    if not data:
        raise RemoteProtocolError(f"empty {kind} message")
    if data[0] not in table:
        raise RemoteProtocolError(f"message type byte {_show(data[0])} at offset 0 is not a {kind} "
                                  f"({', '.join(chr(code) for code in table)})")
    what, decoder = table[data[0]]
    return decoder(_Fields(bytes(data), what))


def decode_report(data: bytes) -> Report:
    """A reader's report; RemoteProtocolError names the field and byte offset of anything malformed."""
    return _decode(data, _REPORTS, "reader report")


def decode_command(data: bytes) -> Command:
    """An agent's command; RemoteProtocolError names the field and byte offset of anything malformed."""
    return _decode(data, _COMMANDS, "command")
