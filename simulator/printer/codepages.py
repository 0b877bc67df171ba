"""Bytes to characters the way the printer draws them: one ESC t code page at a time, or GB18030 double-
and four-byte characters in Chinese (FS &) mode.

The ESC t numbers are Epson's, as python-escpos and escpos-php use them for a generic printer; a page
Python has no codec for (TCVN-3, Thai 42, CP851…) still prints ASCII and shows U+FFFD for the rest, so
an unknown page costs accents, never the receipt.
"""

from __future__ import annotations

import unicodedata
from functools import cache

REPLACEMENT = "\ufffd"

# ESC t n -> Python codec; None where the page exists on printers but Python cannot decode it.
CODE_PAGES: dict[int, str | None] = {
    0: "cp437", 1: "katakana", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865",
    6: None, 7: None, 8: None,  # Hiragana, one-pass Kanji: no single-byte codec
    11: None, 12: None,  # CP851, CP853
    13: "cp857", 14: "cp737", 15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858",
    20: None, 21: "cp874", 22: None, 23: None, 24: None, 25: None, 26: None,  # Thai 42/18, other Thai
    30: None, 31: None,  # TCVN-3 (Vietnamese)
    32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861", 36: "cp862", 37: "cp864", 38: "cp869",
    39: "iso8859_2", 40: "iso8859_15", 41: None, 42: None, 43: None,  # CP1098, CP774, CP772
    44: "cp1125", 45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256",
    51: "cp1257", 52: "cp1258", 53: "kz1048",
    254: None, 255: None,  # user-defined pages
}


def _drawn(char: str) -> str:
    """The character, or '' for a control character (C0, DEL, C1), which draws nothing."""
    code = ord(char)
    return "" if code < 0x20 or 0x7F <= code < 0xA0 else char


@cache
def byte_table(page: int) -> tuple[str, ...]:
    """What each byte 0x20..0xFF draws on code page `page`; index by the byte value ('' below 0x20)."""
    codec = CODE_PAGES.get(page)
    table = []
    for value in range(256):
        if value < 0x20:
            table.append("")
        elif value < 0x80 or codec is None:
            table.append(_drawn(chr(value)) if value < 0x80 else REPLACEMENT)
        elif codec == "katakana":  # JIS X 0201: half-width katakana at 0xA1..0xDF, nothing else defined
            table.append(chr(0xFF61 + value - 0xA1) if 0xA1 <= value <= 0xDF else REPLACEMENT)
        else:
            table.append(_drawn(bytes([value]).decode(codec, errors="replace")))
    return tuple(table)


def is_lead(value: int) -> bool:
    return 0x81 <= value <= 0xFE


def gb_length(data: bytes | bytearray, pos: int) -> int | None:
    """Bytes in the GB18030 character starting with the lead byte at `pos`: 2 or 4, 1 if the bytes
    after the lead cannot continue a character (the lead alone is then a stray), None if more bytes
    are needed to know."""
    end = len(data)
    if pos + 1 >= end:
        return None
    second = data[pos + 1]
    if 0x40 <= second <= 0x7E or 0x80 <= second <= 0xFE:
        return 2
    if not 0x30 <= second <= 0x39:
        return 1
    if pos + 2 >= end:
        return None
    if not is_lead(data[pos + 2]):
        return 1
    if pos + 3 >= end:
        return None
    return 4 if 0x30 <= data[pos + 3] <= 0x39 else 1


def gb_char(sequence: bytes) -> str:
    """The character, or U+FFFD for one GB18030 leaves to the printer's user-defined glyphs (it maps
    them to private use) or does not assign."""
    try:
        char = sequence.decode("gb18030")
    except UnicodeDecodeError:
        return REPLACEMENT
    return REPLACEMENT if unicodedata.category(char) in ("Co", "Cn", "Cc", "Cs") else char
