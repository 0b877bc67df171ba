"""ISO 7813 track grammar, shared by the swipe reader and the framed reader's track-2 equivalent.

Parsing here only splits a track into its fields. Whether those fields make a usable card is the
business of `checks`, so that both wire formats refuse a card for exactly the same reasons. Nothing in
this module ever puts a full card number into an error message: a garbled track is still card data.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.card import MaskedPan
from drivers.errors import RemoteProtocolError

# Data characters between the sentinels (ISO 7813: 79 and 40 with the sentinels and the LRC).
TRACK1_MAX = 76
TRACK2_MAX = 37
PAN_LENGTHS = range(12, 20)  # ISO/IEC 7812 payment card numbers
# The 6-bit alphabet of ISO/IEC 7811 less the sentinels, which never occur inside a track: a '%' in
# "track 1" means a swipe started there, and the line is rescanned from it.
TRACK1_CHARS = frozenset(map(chr, range(0x20, 0x60))) - {"%", "?"}
TRACK2_CHARS = frozenset("0123456789=")
BAD_READ = "E"  # what MagTek / ID TECH readers put between the sentinels of an unreadable track


@dataclass(frozen=True, repr=False)
class TrackData:
    """The card fields one source (a track, or a message's separate fields) carried, unchecked."""

    source: str  # "track 1", "track 2", ...: names the source in error messages
    pan: str
    expiry: str  # YYMM as read
    service_code: str
    name: str = ""

    def __repr__(self) -> str:
        return f"TrackData({self.source}, {mask(self.pan) or '<unreadable card number>'})"


class TrackFormatError(RemoteProtocolError):
    """A track that does not parse; carries the masked card number when enough of it was readable."""

    def __init__(self, detail: str, masked: MaskedPan | None = None) -> None:
        super().__init__(detail)
        self.masked = masked


def mask(pan: str) -> MaskedPan | None:
    """The masked card number, or None when `pan` is not a card number (masking a short one leaks it)."""
    if pan.isascii() and pan.isdigit() and len(pan) in PAN_LENGTHS:
        return MaskedPan.of(pan)
    return None


def _check_alphabet(data: str, alphabet: frozenset[str], source: str) -> None:
    for offset, char in enumerate(data):
        if char not in alphabet:
            raise TrackFormatError(f"{source} has byte 0x{ord(char):02X} at offset {offset}, "
                                   f"outside its character set")


def _expiry_and_service(rest: str, pan: str, source: str) -> tuple[str, str]:
    if len(rest) < 7:
        raise TrackFormatError(f"{source} has {len(rest)} characters after the card number's separator; "
                               f"the expiry and service code need 7", mask(pan))
    return rest[:4], rest[4:7]


def parse_track1(data: str, source: str = "track 1") -> TrackData:
    """`B<PAN>^<NAME>^<YYMM><service code><discretionary>`, the text between '%' and '?'."""
    if len(data) > TRACK1_MAX:
        raise TrackFormatError(f"{source} has {len(data)} characters; at most {TRACK1_MAX} fit on it")
    _check_alphabet(data, TRACK1_CHARS, source)
    if not data.startswith("B"):
        raise TrackFormatError(f"{source} does not start with format code 'B'")
    parts = data[1:].split("^")
    if len(parts) != 3:
        raise TrackFormatError(f"{source} has {len(parts) - 1} field separators '^' where 2 belong")
    pan, name, rest = parts
    expiry, service_code = _expiry_and_service(rest, pan, source)
    return TrackData(source, pan, expiry, service_code, name.strip())


def parse_track2(data: str, source: str = "track 2") -> TrackData:
    """`<PAN>=<YYMM><service code><discretionary>`: track 2 between ';' and '?', or its chip equivalent."""
    if len(data) > TRACK2_MAX:
        raise TrackFormatError(f"{source} has {len(data)} characters; at most {TRACK2_MAX} fit on it")
    _check_alphabet(data, TRACK2_CHARS, source)
    pan, separator, rest = data.partition("=")
    if not separator:
        raise TrackFormatError(f"{source} has no separator '=' after the card number")
    if "=" in rest:
        raise TrackFormatError(f"{source} has a second separator '='", mask(pan))
    expiry, service_code = _expiry_and_service(rest, pan, source)
    return TrackData(source, pan, expiry, service_code)
