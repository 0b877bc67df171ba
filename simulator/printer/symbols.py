"""Barcodes and 2D codes: which data a symbology can carry, and how to show that data as text.

The character sets are checked because a `GS k` header can be forged by a stray GS landing before a
"k" in receipt text; a real barcode's data fits its symbology, while the receipt text that would be
swallowed as data usually does not, so such a header is dropped instead of eating a line.
"""

from __future__ import annotations

import string

_DIGITS = frozenset(string.digits.encode())
_CODE39 = frozenset((string.digits + string.ascii_uppercase + " $%*+-./").encode())
_CODABAR = frozenset((string.digits + "ABCDabcd$+-./:").encode())
_ASCII = frozenset(range(0x80))

# GS k m: function A (m 0..6, NUL-terminated) and function B (m 65.., with a length byte)
BARCODES: dict[int, tuple[str, frozenset[int]]] = {
    0: ("UPC-A", _DIGITS), 1: ("UPC-E", _DIGITS), 2: ("EAN13", _DIGITS), 3: ("EAN8", _DIGITS),
    4: ("CODE39", _CODE39), 5: ("ITF", _DIGITS), 6: ("CODABAR", _CODABAR),
    65: ("UPC-A", _DIGITS), 66: ("UPC-E", _DIGITS), 67: ("EAN13", _DIGITS), 68: ("EAN8", _DIGITS),
    69: ("CODE39", _CODE39), 70: ("ITF", _DIGITS), 71: ("CODABAR", _CODABAR), 72: ("CODE93", _ASCII),
    73: ("CODE128", _ASCII), 74: ("GS1-128", _ASCII), 75: ("GS1 DATABAR OMNIDIRECTIONAL", _DIGITS),
    76: ("GS1 DATABAR TRUNCATED", _DIGITS), 77: ("GS1 DATABAR LIMITED", _DIGITS),
    78: ("GS1 DATABAR EXPANDED", _ASCII), 79: ("CODE128 AUTO", _ASCII),
}

# GS ( k cn: the 2D symbologies, by cn
CODES_2D = {48: "pdf417", 49: "qr", 50: "maxicode", 51: "databar", 52: "composite", 53: "aztec", 54: "datamatrix"}
MAX_2D_DATA = 7089  # QR's largest (numeric, version 40); every other 2D code holds less


def allowed(symbology: int, data: bytes | bytearray) -> bool:
    """Whether every byte is one the symbology can encode (an empty prefix is fine: more may come)."""
    charset = BARCODES[symbology][1]
    return all(value in charset for value in data)


def readable(data: bytes | bytearray) -> str:
    """Data as a person reads it: UTF-8 when it is, GB18030 otherwise (Chinese QR payloads), Latin-1 as a
    last resort; control characters are escaped so the placeholder stays on one line."""
    for codec in ("utf-8", "gb18030"):
        try:
            text = bytes(data).decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = bytes(data).decode("latin-1")
    return "".join(char if char.isprintable() else f"\\x{ord(char):02x}" if ord(char) < 0x100
                   else f"\\u{ord(char):04x}" for char in text)


def code128(data: bytes | bytearray) -> str:
    """Epson's CODE128 data: "{A", "{B", "{C" switch code sets ("{C" packs two digits per byte), "{{" is a
    brace, "{S" and "{1".."{4" are shift and function characters, which carry no text."""
    out: list[str] = []
    code_set, pos = "B", 0
    while pos < len(data):
        value = data[pos]
        if value == ord("{") and pos + 1 < len(data):
            marker = chr(data[pos + 1])
            if marker in "ABC":
                code_set = marker
            elif marker == "{":
                out.append("{")
            pos += 2
            continue
        if code_set == "C":
            out.append(f"{value:02d}" if value < 100 else "?")
        else:
            out.append(chr(value))
        pos += 1
    return readable("".join(out).encode("latin-1"))


def barcode_text(symbology: int, data: bytes | bytearray) -> tuple[str, str]:
    """(symbology name, data as shown)."""
    name = BARCODES[symbology][0]
    return name, code128(data) if name == "CODE128" else readable(data)
