"""The virtual printer's reading of an ESC/POS stream, as a sans-I/O core: bytes in, printed lines out.

It models what lands on paper, the way an Epson-compatible printer produces it: text waits in a line
buffer until LF (or CR, ESC d, ESC J…) prints it with the alignment it started with; ESC a and GS V
act only at the beginning of a line and are ignored mid-line, as Epson documents, so a driver that
forgets a line feed before a cut sees no cut here either; ESC @ clears the line buffer. Images,
barcodes and 2D codes become placeholders; their data is skipped by the commands' own length fields.

Nothing a remote sends can make it raise: a byte that starts no command is dropped alone (counted in
`dropped`) and parsing resumes on the very next byte, so noise costs at most the bytes it hits. Only
misuse of the API raises, with `LocalProtocolError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from drivers.errors import LocalProtocolError
from simulator.printer import commands
from simulator.printer.codepages import REPLACEMENT, byte_table, gb_char, gb_length, is_lead
from simulator.printer.commands import INTRODUCERS, MORE, STRAY, Blocks, Command
from simulator.printer.document import (
    PLAIN,
    Align,
    Cut,
    Document,
    Event,
    Graphic,
    Line,
    Span,
    StatusRequest,
    Style,
    char_cells,
)
from simulator.printer.symbols import CODES_2D, barcode_text, readable

LF, CR, HT, FF, CAN = 0x0A, 0x0D, 0x09, 0x0C, 0x18
MAX_LINE_CELLS = 4096  # without `columns`, a stream that never sends LF still comes out in lines
LINE_SPACING = 30  # dots per line at power-on (1/6 inch at 180 dpi), for ESC J
DEFAULT_TABS = tuple(range(8, 256, 8))
_ALIGNMENTS = {0: Align.LEFT, 1: Align.CENTER, 2: Align.RIGHT}
_PARTIAL_CUTS = frozenset((1, 49, 66, 98, 104))


class Interpreter:
    """Feed it bytes in any chunks; read `Line`, `Cut` and `StatusRequest` events in order.

    `chinese` is the power-on state of Chinese (FS &) mode: printers sold in China start in it, which
    is why python-escpos sends GB18030 without FS &. `columns` wraps lines as paper of that many
    character columns would (double-width and magnified characters counted by their cells).
    """

    def __init__(self, *, chinese: bool = False, columns: int | None = None) -> None:
        if columns is not None and columns < 1:
            raise LocalProtocolError(f"columns must be positive, got {columns}")
        self._chinese_at_power_on = chinese
        self._limit = columns or MAX_LINE_CELLS
        self._buf = bytearray()
        self._skip = 0
        self._blocks: Blocks | None = None
        self._blocks_left = 0
        self._events: deque[Event] = deque()
        self._closed = False
        self._after_cr = False  # the last byte was a CR that printed a line: a LF right after is its pair
        self._last_bit_image = False  # the last line was one stripe of an ESC * image
        self._symbols: dict[int, bytes] = {}  # 2D code data stored by GS ( k, by symbology
        self.dropped = 0
        self._initialize()

    # --- the API -------------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise LocalProtocolError(f"feed takes bytes, not {type(data).__name__}")
        if self._closed:
            raise LocalProtocolError("feed after close")
        self._buf += data
        self._run(final=False)

    def close(self) -> None:
        """End of the stream: a command cut short is dropped, and text still waiting for its line feed
        comes out as an `unfinished` line."""
        if self._closed:
            return
        self._run(final=True)
        self._closed = True
        if self._has_content():
            self._print_line(unfinished=True)

    def next_event(self) -> Event | None:
        return self._events.popleft() if self._events else None

    def events(self) -> Iterator[Event]:
        while self._events:
            yield self._events.popleft()

    # --- state -------------------------------------------------------------------------------------

    def _initialize(self) -> None:
        """ESC @ and power-on: modes back to their defaults, the line buffer emptied."""
        self._style = PLAIN
        self._align = Align.LEFT
        self._page = 0
        self._chinese = self._chinese_at_power_on
        self._tabs: tuple[int, ...] = DEFAULT_TABS
        self._line_spacing = LINE_SPACING
        self._clear_line()

    def _clear_line(self) -> None:
        self._spans: list[Span | Graphic] = []
        self._run_chars: list[str] = []
        self._run_style = self._style
        self._cells = 0
        self._line_align = self._align
        self._bit_image_only = False

    def _has_content(self) -> bool:
        return bool(self._spans or self._run_chars)

    # --- the byte loop -----------------------------------------------------------------------------

    def _run(self, *, final: bool) -> None:
        buf, pos = self._buf, 0
        while pos < len(buf):
            if self._skip:
                taken = min(self._skip, len(buf) - pos)
                self._skip -= taken
                pos += taken
                continue
            if self._blocks is not None:
                used = self._next_block(buf, pos, final)
                if used is None:
                    break
                pos += used
                continue
            value = buf[pos]
            if value in INTRODUCERS:
                used = self._command(buf, pos, final)
            elif value >= 0x20:
                used = self._text(buf, pos, final)
            else:
                used = self._control(value)
            if used == 0:
                break
            if value != CR:
                self._after_cr = False
            pos += used
        del buf[:pos]

    def _next_block(self, buf: bytearray, pos: int, final: bool) -> int | None:
        blocks = self._blocks
        assert blocks is not None
        if pos + blocks.header > len(buf):
            if final:
                self._blocks = None
                return 0
            return None
        size = blocks.measure(bytes(buf[pos:pos + blocks.header]))
        if size is None:  # not a block header after all: the command ended early
            self._blocks = None
            return 0
        self._skip = size
        self._blocks_left -= 1
        if self._blocks_left == 0:
            self._blocks = None
        return blocks.header

    def _command(self, buf: bytearray, pos: int, final: bool) -> int:
        parsed = commands.parse(buf, pos)
        if parsed is MORE and not final:
            return 0
        if parsed is MORE or parsed is STRAY:
            self.dropped += 1
            return 1
        assert isinstance(parsed, Command)
        handler = _HANDLERS.get(parsed.key)
        if handler is not None:
            handler(self, parsed.args)
        self._skip = parsed.skip
        if parsed.blocks is not None:
            self._blocks, self._blocks_left = parsed.blocks, parsed.blocks.count
        return parsed.size

    def _text(self, buf: bytearray, pos: int, final: bool) -> int:
        value = buf[pos]
        if self._chinese and value >= 0x80:
            if not is_lead(value):
                self._put(REPLACEMENT)
                return 1
            length = gb_length(buf, pos)
            if length is None and not final:
                return 0
            if length is None or length == 1:
                self._put(REPLACEMENT)
                return 1
            self._put(gb_char(bytes(buf[pos:pos + length])))
            return length
        char = byte_table(self._page)[value]
        if char:
            self._put(char)
        else:
            self.dropped += 1
        return 1

    def _control(self, value: int) -> int:
        if value == LF:
            if not self._after_cr:
                self._print_line()
        elif value == CR:
            self._after_cr = self._has_content()
            if self._after_cr:
                self._print_line()
        elif value == HT:
            self._tab()
        elif value == FF:
            if self._has_content():
                self._print_line()
        elif value != CAN:
            self.dropped += 1
        return 1

    # --- the line buffer ---------------------------------------------------------------------------

    def _put(self, char: str) -> None:
        cells = char_cells(char) * self._style.width
        if self._cells and self._cells + cells > self._limit:
            self._print_line()
        if not self._has_content():
            self._line_align = self._align
        if self._run_chars and self._run_style != self._style:
            self._close_run()
        self._run_style = self._style
        self._run_chars.append(char)
        self._cells += cells
        self._bit_image_only = False

    def _close_run(self) -> None:
        if self._run_chars:
            self._spans.append(Span("".join(self._run_chars), self._run_style))
            self._run_chars = []

    def _tab(self) -> None:
        column = self._cells // self._style.width
        stop = next((tab for tab in self._tabs if tab > column), None)
        if stop is not None and stop * self._style.width <= self._limit:
            for _ in range(stop - column):
                self._put(" ")

    def _print_line(self, *, unfinished: bool = False) -> None:
        self._close_run()
        bit_image = self._bit_image_only
        if not (bit_image and self._last_bit_image):  # stripes of one ESC * image print as one [image]
            align = self._line_align if self._spans else self._align
            self._events.append(Line(tuple(self._spans), align, unfinished))
        self._last_bit_image = bit_image
        self._clear_line()

    def _feed(self, lines: int) -> None:
        for _ in range(lines):
            self._print_line()

    def _graphic(self, graphic: Graphic) -> None:
        """A picture prints on a line of its own: pending text first, as the printer does."""
        if self._has_content():
            self._print_line()
        self._line_align = self._align
        self._spans.append(graphic)
        self._print_line()

    def _emit(self, event: Cut | StatusRequest) -> None:
        if isinstance(event, Cut):
            self._last_bit_image = False
        self._events.append(event)

    # --- commands ----------------------------------------------------------------------------------

    def _init(self, args: bytes) -> None:
        self._initialize()

    def _print_mode(self, args: bytes) -> None:
        n = args[0]
        self._style = Style(bold=bool(n & 0x08), underline=1 if n & 0x80 else 0, width=2 if n & 0x20 else 1,
                            height=2 if n & 0x10 else 1, inverted=self._style.inverted)

    def _size(self, args: bytes) -> None:
        n = args[0]
        self._set(width=(n >> 4 & 7) + 1, height=(n & 7) + 1)

    def _bold(self, args: bytes) -> None:
        self._set(bold=bool(args[0] & 1))

    def _underline(self, args: bytes) -> None:
        self._set(underline=args[0] % 48)

    def _inverted(self, args: bytes) -> None:
        self._set(inverted=bool(args[0] & 1))

    def _set(self, **changes: int | bool) -> None:
        self._style = replace(self._style, **changes)

    def _justify(self, args: bytes) -> None:
        if not self._has_content():  # Epson: effective only at the beginning of a line
            self._align = _ALIGNMENTS[args[0] % 48]
            self._line_align = self._align

    def _code_page(self, args: bytes) -> None:
        self._page = args[0]

    def _chinese_on(self, args: bytes) -> None:
        self._chinese = True

    def _chinese_off(self, args: bytes) -> None:
        self._chinese = False

    def _set_tabs(self, args: bytes) -> None:
        self._tabs = tuple(args.rstrip(b"\x00"))

    def _spacing(self, args: bytes) -> None:
        self._line_spacing = args[0] if args else LINE_SPACING

    def _feed_lines(self, args: bytes) -> None:
        if args[0] == 0:
            if self._has_content():
                self._print_line()
            return
        self._feed(args[0])

    def _feed_dots(self, args: bytes) -> None:
        lines = args[0] // self._line_spacing if self._line_spacing else 0
        if self._has_content():
            self._print_line()
            lines -= 1
        self._feed(max(lines, 0))

    def _print_only(self, args: bytes) -> None:
        if self._has_content():
            self._print_line()

    def _cut(self, args: bytes) -> None:
        if not self._has_content():  # Epson: effective only at the beginning of a line
            self._emit(Cut(partial=args[0] in _PARTIAL_CUTS))

    def _partial_cut(self, args: bytes) -> None:
        self._cut(b"\x01")

    def _realtime_status(self, args: bytes) -> None:
        self._emit(StatusRequest("DLE EOT", args[0], args[1] if len(args) > 1 else None))

    def _transmit_status(self, args: bytes) -> None:
        self._emit(StatusRequest("GS r", args[0]))

    def _printer_id(self, args: bytes) -> None:
        self._emit(StatusRequest("GS I", args[0]))

    def _peripheral_status(self, args: bytes) -> None:
        self._emit(StatusRequest("ESC u", args[0]))

    def _paper_sensor(self, args: bytes) -> None:
        self._emit(StatusRequest("ESC v"))

    def _bit_image(self, args: bytes) -> None:
        """ESC * draws inside the line, so it joins the line buffer like a character."""
        alone = not self._has_content()
        if alone:
            self._line_align = self._align
        self._close_run()
        self._spans.append(Graphic("image"))
        self._bit_image_only = alone or self._bit_image_only

    def _image(self, args: bytes) -> None:
        self._graphic(Graphic("image"))

    def _paren(self, args: bytes) -> None:
        """GS ( L prints a picture with its print functions; GS ( k stores and prints 2D codes."""
        if args[0] == ord("L") and args[4] in commands.GRAPHICS_PRINT:
            self._graphic(Graphic("image"))
        elif args[0] == ord("k"):
            self._symbol(args)

    def _barcode(self, args: bytes) -> None:
        symbology = args[0]
        data = args[1:] if symbology < 65 else args[2:]
        name, text = barcode_text(symbology, data)
        self._graphic(Graphic("barcode", text, name))

    def _symbol(self, args: bytes) -> None:
        symbol, function = args[3], args[4]
        if function == 80:
            self._symbols[symbol] = args[6:]
        elif function == 81 and symbol in self._symbols:
            self._graphic(Graphic(CODES_2D[symbol], readable(self._symbols[symbol])))


_HANDLERS = {
    b"\x1b@": Interpreter._init,
    b"\x1b!": Interpreter._print_mode,
    b"\x1d!": Interpreter._size,
    b"\x1bE": Interpreter._bold,
    b"\x1b-": Interpreter._underline,
    b"\x1dB": Interpreter._inverted,
    b"\x1ba": Interpreter._justify,
    b"\x1bt": Interpreter._code_page,
    b"\x1c&": Interpreter._chinese_on,
    b"\x1c.": Interpreter._chinese_off,
    b"\x1bD": Interpreter._set_tabs,
    b"\x1b2": Interpreter._spacing,
    b"\x1b3": Interpreter._spacing,
    b"\x1bd": Interpreter._feed_lines,
    b"\x1bJ": Interpreter._feed_dots,
    b"\x1be": Interpreter._print_only,
    b"\x1bK": Interpreter._print_only,
    b"\x1b\x0c": Interpreter._print_only,
    b"\x1dV": Interpreter._cut,
    b"\x1bi": Interpreter._partial_cut,
    b"\x1bm": Interpreter._partial_cut,
    b"\x10\x04": Interpreter._realtime_status,
    b"\x1dr": Interpreter._transmit_status,
    b"\x1dI": Interpreter._printer_id,
    b"\x1bu": Interpreter._peripheral_status,
    b"\x1bv": Interpreter._paper_sensor,
    b"\x1b*": Interpreter._bit_image,
    b"\x1dv": Interpreter._image,
    b"\x1d/": Interpreter._image,
    b"\x1dQ": Interpreter._image,
    b"\x1cp": Interpreter._image,
    b"\x1d(": Interpreter._paren,
    b"\x1dk": Interpreter._barcode,
}


def render(data: bytes | bytearray, *, chinese: bool = False, columns: int | None = None) -> Document:
    """The whole stream at once, closed: what `recoup render` and most tests want."""
    interpreter = Interpreter(chinese=chinese, columns=columns)
    interpreter.feed(data)
    interpreter.close()
    return Document.from_events(interpreter.events(), interpreter.dropped)
