"""The ESC/POS grammar: how many bytes each command takes, and whether what follows an introducer is a
command at all. Meaning lives in the interpreter; this module only measures.

`parse(buf, pos)` looks at the command starting at `pos` and answers MORE (the bytes so far are a
proper prefix: wait), STRAY (no command starts here: the introducer byte alone is noise) or a Command.
It answers MORE only when more bytes could change the answer, so feeding a stream in any chunks gives
the same commands. Parameters are held to the ranges real drivers send, narrower than some printers
accept: a stray ESC in front of "a" in receipt text then costs the ESC, not the letter after it.
Commands whose data can be large (raster images, NV graphics) report it as `skip`, which the caller
discards as it arrives instead of buffering it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from simulator.printer.codepages import CODE_PAGES
from simulator.printer.symbols import BARCODES, CODES_2D, MAX_2D_DATA, allowed

DLE, ESC, FS, GS = 0x10, 0x1B, 0x1C, 0x1D
INTRODUCERS = frozenset((DLE, ESC, FS, GS))
NAMES = {DLE: "DLE", ESC: "ESC", FS: "FS", GS: "GS"}


class Outcome(Enum):
    MORE = "more"
    STRAY = "stray"


MORE, STRAY = Outcome.MORE, Outcome.STRAY


@dataclass(frozen=True, slots=True)
class Blocks:
    """A command followed by `count` blocks, each a small header that says how much data follows it
    (FS q's NV images, ESC &'s user-defined characters). `measure(header)` gives the data length, or
    None when the header is not one (the command then ends early and parsing resumes there)."""

    count: int
    header: int
    measure: Callable[[bytes], int | None]


@dataclass(frozen=True, slots=True)
class Command:
    key: bytes  # introducer and function byte, e.g. b"\x1ba"
    args: bytes  # every byte after the key that `size` covers
    size: int  # bytes taken from the buffer
    skip: int = 0  # bulk data after them, to discard
    blocks: Blocks | None = None

    @property
    def name(self) -> str:
        return f"{NAMES[self.key[0]]} {chr(self.key[1]) if 0x20 < self.key[1] < 0x7F else hex(self.key[1])}"


Parsed = Command | Outcome

_BIT = frozenset((0, 1, 48, 49))
_ALIGN = frozenset((0, 1, 2, 48, 49, 50))
_QUAD = frozenset((0, 1, 2, 3, 48, 49, 50, 51))
_ANY = None


def _range(low: int, high: int) -> frozenset[int]:
    return frozenset(range(low, high + 1))


# key -> (parameter count, allowed values of the first parameter, or None for any)
FIXED: dict[bytes, tuple[int, frozenset[int] | None]] = {
    b"\x1b\x0c": (0, _ANY),  # print page-mode data
    b"\x1b ": (1, _ANY),  # right-side character spacing
    b"\x1b!": (1, _ANY),  # print mode
    b"\x1b$": (2, _ANY),  # absolute print position
    b"\x1b%": (1, _BIT),  # user-defined character set
    b"\x1b-": (1, _ALIGN),  # underline 0/1/2
    b"\x1b2": (0, _ANY),  # default line spacing
    b"\x1b3": (1, _ANY),  # line spacing
    b"\x1b7": (3, _ANY),  # heating parameters (Chinese printers)
    b"\x1b8": (2, _ANY),  # sleep timeout (Chinese printers)
    b"\x1b9": (1, frozenset((0, 1, 3))),  # Chinese character encoding (Chinese printers)
    b"\x1b<": (0, _ANY),  # return home
    b"\x1b=": (1, _range(1, 3)),  # select peripheral device
    b"\x1b?": (1, _range(32, 126)),  # cancel user-defined character
    b"\x1b@": (0, _ANY),  # initialize
    b"\x1bB": (2, _range(1, 9)),  # buzzer (Chinese printers)
    b"\x1bE": (1, _BIT),  # emphasized
    b"\x1bG": (1, _BIT),  # double-strike
    b"\x1bJ": (1, _ANY),  # print and feed n dots
    b"\x1bK": (1, _ANY),  # print and reverse feed n dots
    b"\x1bL": (0, _ANY),  # page mode
    b"\x1bM": (1, frozenset((0, 1, 2, 3, 4, 48, 49, 50, 51, 52, 97, 98))),  # font
    b"\x1bR": (1, _range(0, 17) | _range(66, 75) | {82}),  # international character set
    b"\x1bS": (0, _ANY),  # standard mode
    b"\x1bT": (1, _QUAD),  # print direction in page mode
    b"\x1bU": (1, _BIT),  # unidirectional printing
    b"\x1bV": (1, _ALIGN),  # 90° rotation
    b"\x1bW": (8, _ANY),  # page-mode print area
    b"\x1b\\": (2, _ANY),  # relative print position
    b"\x1ba": (1, _ALIGN),  # justification
    b"\x1bc": (2, _range(48, 53)),  # paper sensors, panel buttons
    b"\x1bd": (1, _ANY),  # print and feed n lines
    b"\x1be": (1, _ANY),  # print and reverse feed n lines
    b"\x1bf": (2, _ANY),  # cut sheet wait time
    b"\x1bi": (0, _ANY),  # partial cut (one point left)
    b"\x1bm": (0, _ANY),  # partial cut (three points left)
    b"\x1bp": (3, _BIT),  # drawer kick pulse
    b"\x1br": (1, _BIT),  # print colour
    b"\x1bt": (1, frozenset(CODE_PAGES)),  # code page
    b"\x1bu": (1, frozenset((0, 48))),  # transmit peripheral device status
    b"\x1bv": (0, _ANY),  # transmit paper sensor status
    b"\x1b{": (1, _BIT),  # upside-down
    b"\x1c!": (1, _ANY),  # kanji print mode
    b"\x1c&": (0, _ANY),  # Chinese (kanji) mode on
    b"\x1c-": (1, _ALIGN),  # kanji underline
    b"\x1c.": (0, _ANY),  # Chinese (kanji) mode off
    b"\x1c2": (74, frozenset((0x77, 0xFE))),  # define user kanji: c1 c2 and 72 bytes of 24x24 dots
    b"\x1c?": (2, frozenset((0x77, 0xFE))),  # cancel user kanji
    b"\x1cC": (1, _BIT),  # kanji code system
    b"\x1cS": (2, _ANY),  # kanji spacing
    b"\x1cW": (1, _BIT),  # kanji quadruple size
    b"\x1cp": (2, _range(1, 255)),  # print NV bit image n m
    b"\x1d!": (1, _ANY),  # character size
    b"\x1d$": (2, _ANY),  # page-mode vertical position
    b"\x1d/": (1, _QUAD),  # print downloaded bit image
    b"\x1d:": (0, _ANY),  # macro definition start/end
    b"\x1dB": (1, _BIT),  # white/black reverse
    b"\x1dE": (1, _ANY),  # head control
    b"\x1dH": (1, _QUAD),  # HRI position
    b"\x1dI": (1, _range(1, 3) | _range(49, 51) | _range(65, 69) | {111, 112}),  # transmit printer ID
    b"\x1dL": (2, _ANY),  # left margin
    b"\x1dP": (2, _ANY),  # motion units
    b"\x1dT": (1, _BIT),  # print position to beginning of line
    b"\x1dW": (2, _ANY),  # print area width
    b"\x1d\\": (2, _ANY),  # page-mode relative vertical position
    b"\x1d^": (3, _ANY),  # execute macro
    b"\x1da": (1, _ANY),  # automatic status back
    b"\x1db": (1, _BIT),  # smoothing
    b"\x1dc": (0, _ANY),  # print counter
    b"\x1df": (1, frozenset((0, 1, 2, 3, 4, 48, 49, 50, 51, 52, 97, 98))),  # HRI font
    b"\x1dg": (4, frozenset((48, 50))),  # maintenance counter: GS g 0 m nL nH / GS g 2 m nL nH
    b"\x1dh": (1, _range(1, 255)),  # barcode height
    b"\x1dj": (1, _ANY),  # automatic status back for ink
    b"\x1dr": (1, frozenset((1, 2, 49, 50))),  # transmit status
    b"\x1dw": (1, _range(1, 8) | _range(68, 76)),  # barcode module width (escpos-php sends up to 8)
    b"\x1dz": (3, frozenset((48,))),  # online recovery wait time
    b"\x10\x05": (1, _range(0, 2)),  # DLE ENQ: real-time request to the printer
}

# "x ( f pL pH data" commands with nothing to show (beeper, NV user memory, user setup, page-mode
# graphics…). None belongs in a receipt and their real uses are short, so a length above PAREN_LIMIT
# is taken for a forged header: showing a setup command's data as junk text beats letting a stray
# "GS (" swallow kilobytes of receipt.
PAREN_LIMIT = 64
_PAREN = {
    b"\x1b(": frozenset(b"AY"),
    b"\x1c(": frozenset(b"ACELe"),
    b"\x1d(": frozenset(b"ACDEHKMNPQz"),
}

GRAPHICS_PRINT = frozenset((2, 50, 69))  # GS ( L functions that put a picture on paper
_GRAPHICS_SMALL = frozenset((0, 1, 2, 3, 4, 48, 49, 50, 51, 52, 64, 65, 66, 69))
_GRAPHICS_STORE = frozenset((67, 68, 112, 113))  # define NV graphics, store graphics (raster, column)


def _u16(data: bytes | bytearray, pos: int) -> int:
    return data[pos] | data[pos + 1] << 8


def parse(buf: bytes | bytearray, pos: int) -> Parsed:
    """The command at `pos`, whose first byte is DLE, ESC, FS or GS."""
    if pos + 1 >= len(buf):
        return MORE
    key = bytes(buf[pos:pos + 2])
    special = _SPECIAL.get(key)
    if special is not None:
        return special(buf, pos, key)
    fixed = FIXED.get(key)
    if fixed is None:
        return _paren(buf, pos, key) if key in _PAREN else STRAY
    count, allowed = fixed
    if pos + 2 + count > len(buf):
        return MORE if allowed is None or pos + 2 >= len(buf) or buf[pos + 2] in allowed else STRAY
    args = bytes(buf[pos + 2:pos + 2 + count])
    if allowed is not None and args[0] not in allowed:
        return STRAY
    return Command(key, args, 2 + count)


def _need(buf: bytes | bytearray, pos: int, count: int) -> bytes | None:
    """The `count` bytes after the key, or None if they have not all arrived."""
    start = pos + 2
    return bytes(buf[start:start + count]) if start + count <= len(buf) else None


def _paren(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    head = _need(buf, pos, 3)
    if head is None:
        return MORE if pos + 2 >= len(buf) or buf[pos + 2] in _PAREN[key] else STRAY
    length = _u16(head, 1)
    if head[0] not in _PAREN[key] or length > PAREN_LIMIT:
        return STRAY
    return Command(key, head, 5, skip=length)


def _bit_image(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """ESC * m nL nH: one line of column-format image, n columns of 1 (8-dot) or 3 (24-dot) bytes."""
    head = _need(buf, pos, 3)
    if head is None:
        return MORE if pos + 2 >= len(buf) or buf[pos + 2] in (0, 1, 32, 33) else STRAY
    columns = _u16(head, 1)
    if head[0] not in (0, 1, 32, 33) or not 1 <= columns <= 2400:
        return STRAY
    return Command(key, head, 5, skip=columns * (3 if head[0] >= 32 else 1))


def _tabs(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """ESC D n1..nk NUL: ascending tab stops, k at most 32. Per Epson, a value not above the previous
    one ends the list and is printed as ordinary data, as is a 33rd value."""
    previous, at = 0, pos + 2
    while at < len(buf):
        value = buf[at]
        if value == 0:
            return Command(key, bytes(buf[pos + 2:at + 1]), at + 1 - pos)
        if value <= previous or at - pos - 2 == 32:
            return Command(key, bytes(buf[pos + 2:at]), at - pos)
        previous, at = value, at + 1
    return MORE


def _user_characters(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """ESC & y c1 c2, then for each character c1..c2: x and y*x bytes of dots."""
    head = _need(buf, pos, 3)
    if head is None:
        return MORE
    height, first, last = head
    if height not in (2, 3) or not 32 <= first <= last <= 126:
        return STRAY

    def measure(width: bytes) -> int | None:
        return width[0] * height if width[0] <= 12 else None

    return Command(key, head, 5, blocks=Blocks(last - first + 1, 1, measure))


def _status(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """DLE EOT n (n 1..4), DLE EOT 7 a, DLE EOT 8 a."""
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    n = head[0]
    if 1 <= n <= 4:
        return Command(key, head, 3)
    if n not in (7, 8):
        return STRAY
    full = _need(buf, pos, 2)
    if full is None:
        return MORE
    return Command(key, full, 4) if full[1] in ((1, 2, 4, 5) if n == 7 else (3,)) else STRAY


_DC4_ARGS = {1: 2, 2: 2, 3: 5, 7: 1, 8: 7}  # DLE DC4 fn: pulse, power off, buzzer, status, clear buffers


def _realtime_control(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    count = _DC4_ARGS.get(head[0])
    if count is None:
        return STRAY
    full = _need(buf, pos, 1 + count)
    return MORE if full is None else Command(key, full, 3 + count)


def _nv_images(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """FS q n, then n images, each xL xH yL yH and x*y*8 bytes."""
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    if head[0] == 0:
        return STRAY

    def measure(size: bytes) -> int | None:
        width, height = _u16(size, 0), _u16(size, 2)
        return width * height * 8 if 1 <= width <= 1023 and 1 <= height <= 288 else None

    return Command(key, head, 3, blocks=Blocks(head[0], 4, measure))


def _nv_memory(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """FS g 1 m a1..a4 nL nH data (write user NV memory), FS g 2 m a1..a4 nL nH (read it)."""
    head = _need(buf, pos, 1)
    if head is None:
        return MORE if pos + 2 >= len(buf) or buf[pos + 2] in b"12" else STRAY
    if head[0] not in b"12":
        return STRAY
    full = _need(buf, pos, 8)
    if full is None:
        return MORE
    if full[1] != 48:
        return STRAY
    return Command(key, full, 10, skip=_u16(full, 6) if full[0] == ord("1") else 0)


def _cut(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    if head[0] in (0, 1, 48, 49):
        return Command(key, head, 3)
    if head[0] not in (65, 66, 97, 98, 103, 104):
        return STRAY
    full = _need(buf, pos, 2)
    return MORE if full is None else Command(key, full, 4)


MAX_BARCODE_A = 255  # function A data has no length byte; a real one is far shorter


def _barcode(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS k m d1..dk NUL (m 0..6) or GS k m n d1..dn (m 65..79); the data must fit the symbology."""
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    symbology = head[0]
    if symbology not in BARCODES:
        return STRAY
    start = pos + 3
    if symbology < 65:  # function A: up to a NUL
        end = buf.find(0, start, start + MAX_BARCODE_A + 1)
        if end < 0:
            window = buf[start:start + MAX_BARCODE_A + 1]
            return STRAY if len(window) > MAX_BARCODE_A or not allowed(symbology, window) else MORE
        data = bytes(buf[start:end])
        return Command(key, head + data, end + 1 - pos) if data and allowed(symbology, data) else STRAY
    if start >= len(buf):
        return MORE
    length = buf[start]
    data = bytes(buf[start + 1:start + 1 + length])
    if length == 0 or not allowed(symbology, data):
        return STRAY
    if len(data) < length:
        return MORE
    return Command(key, head + bytes((length,)) + data, 4 + length)


def _raster(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS v 0 m xL xH yL yH: x bytes by y rows."""
    head = _need(buf, pos, 6)
    if head is None:
        partial = bytes(buf[pos + 2:])
        return MORE if partial[:1] in (b"", b"0") and (len(partial) < 2 or partial[1] in _QUAD) else STRAY
    width, height = _u16(head, 2), _u16(head, 4)
    if head[0] != ord("0") or head[1] not in _QUAD or not 1 <= width <= 255 or height < 1:
        return STRAY
    return Command(key, head, 8, skip=width * height)


def _downloaded_image(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS * x y: define a downloaded bit image of x*8 by y*8 dots (x*y at most 1536)."""
    head = _need(buf, pos, 2)
    if head is None:
        return MORE
    if not (head[0] and head[1] and head[0] * head[1] <= 1536):
        return STRAY
    return Command(key, head, 4, skip=head[0] * head[1] * 8)


def _column_image(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS Q 0 m xL xH yL yH: variable vertical size bit image, x columns of y bytes."""
    head = _need(buf, pos, 6)
    if head is None:
        return MORE if pos + 2 >= len(buf) or buf[pos + 2] == ord("0") else STRAY
    width, height = _u16(head, 2), _u16(head, 4)
    if head[0] != ord("0") or head[1] not in _QUAD or not 1 <= width <= 4256 or not 1 <= height <= 16:
        return STRAY
    return Command(key, head, 8, skip=width * height)


def _graphics(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS ( L pL pH m fn ... and GS 8 L p1 p2 p3 p4 m fn ...: graphics, printed by fn 2/50/69.
    Stored images are checked against their own dimensions: a forged header rarely agrees with them."""
    wide = key == b"\x1d8"
    count = 5 if wide else 3  # "L", the length, then m and fn
    head = _need(buf, pos, count + 2)
    if head is None:
        return MORE if pos + 2 >= len(buf) or buf[pos + 2] == ord("L") else STRAY
    if head[0] != ord("L") or head[count] != 48:
        return STRAY
    length = int.from_bytes(head[1:count], "little")
    function = head[count + 1]
    if function in _GRAPHICS_SMALL and not wide:
        if not 2 <= length <= 16:
            return STRAY
        full = _need(buf, pos, 1 + length + 2)
        return MORE if full is None else Command(key, full, 2 + len(full))
    if function not in _GRAPHICS_STORE or length < 10:
        return STRAY
    full = _need(buf, pos, count + 10)
    if full is None:
        return MORE
    width, height = _u16(full, count + 6), _u16(full, count + 8)
    if function in (112, 113):
        data = (width + 7) // 8 * height if function == 112 else width * ((height + 7) // 8)
        if not (width and height) or length != data + 10:
            return STRAY
    return Command(key, full, 2 + len(full), skip=length - 10)


def _symbol(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS ( k pL pH cn fn ...: 2D codes. Only "store data" (fn 80) may be long."""
    head = _need(buf, pos, 5)
    if head is None:
        partial = bytes(buf[pos + 2:])
        return MORE if partial[:1] in (b"", b"k") else STRAY
    length, symbol, function = _u16(head, 1), head[3], head[4]
    if head[0] != ord("k") or symbol not in CODES_2D or not 65 <= function <= 90 or length < 2:
        return STRAY
    if length > (MAX_2D_DATA + 3 if function == 80 else 16):
        return STRAY
    full = _need(buf, pos, 3 + length)
    return MORE if full is None else Command(key, full, 5 + length)


def _gs_paren(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    if pos + 2 >= len(buf):
        return MORE
    letter = buf[pos + 2]
    if letter == ord("L"):
        return _graphics(buf, pos, key)
    if letter == ord("k"):
        return _symbol(buf, pos, key)
    return _paren(buf, pos, key)


def _counter(buf: bytes | bytearray, pos: int, key: bytes) -> Parsed:
    """GS C 0 n m, GS C 1 aL aH bL bH n r, GS C 2 nL nH (serial number counter)."""
    head = _need(buf, pos, 1)
    if head is None:
        return MORE
    count = {ord("0"): 2, ord("1"): 6, ord("2"): 2}.get(head[0])
    if count is None:
        return STRAY
    full = _need(buf, pos, 1 + count)
    return MORE if full is None else Command(key, full, 3 + count)


_SPECIAL: dict[bytes, Callable[[bytes | bytearray, int, bytes], Parsed]] = {
    b"\x10\x04": _status,
    b"\x10\x14": _realtime_control,
    b"\x1b*": _bit_image,
    b"\x1bD": _tabs,
    b"\x1b&": _user_characters,
    b"\x1cq": _nv_images,
    b"\x1cg": _nv_memory,
    b"\x1dV": _cut,
    b"\x1dk": _barcode,
    b"\x1dv": _raster,
    b"\x1d*": _downloaded_image,
    b"\x1dQ": _column_image,
    b"\x1d(": _gs_paren,
    b"\x1d8": _graphics,
    b"\x1dC": _counter,
}
