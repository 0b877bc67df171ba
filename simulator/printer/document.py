"""What came out of the virtual printer: lines of styled text, pictures of codes, cuts, and questions.

The model is the paper, not the byte stream: a barcode is one line showing its data because that is
what a person checking a receipt needs to see, and styles live on spans because a real receipt mixes a
bold label with a plain amount on one line. Status requests travel in the same event stream so the
virtual printer answers them in order with what it printed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class Align(Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Style:
    bold: bool = False
    underline: int = 0  # dots: 0 (off), 1 or 2
    width: int = 1  # character magnification, 1..8
    height: int = 1
    inverted: bool = False  # white on black


PLAIN = Style()


def char_cells(char: str) -> int:
    """Columns one character takes at normal size: CJK ideographs and full-width forms take two, as the
    printer draws them 24 dots wide beside 12-dot ANK characters."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = PLAIN

    @property
    def cells(self) -> int:
        return sum(char_cells(char) for char in self.text) * self.style.width


@dataclass(frozen=True, slots=True)
class Graphic:
    """Something the printer draws rather than writes. Its data is shown so a test can read a QR code's
    URL or a barcode's number without decoding pixels; raster images carry no data."""

    kind: str  # "image", "barcode", "qr", "pdf417", "maxicode", "databar", "composite", "aztec", "datamatrix"
    data: str = ""
    symbology: str = ""  # barcodes only: "EAN13", "CODE128", ...

    @property
    def text(self) -> str:
        return "[image]" if self.kind == "image" else f"[{self.kind}:{self.data}]"

    @property
    def cells(self) -> int:
        return len(self.text)


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line. `unfinished` marks text still in the printer's line buffer when the stream was
    closed: a real printer prints it only when a later line feed arrives, so a receipt ending in one
    has lost its last line."""

    spans: tuple[Span | Graphic, ...]
    align: Align = Align.LEFT
    unfinished: bool = False

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)

    @property
    def cells(self) -> int:
        return sum(span.cells for span in self.spans)

    @property
    def graphics(self) -> tuple[Graphic, ...]:
        return tuple(span for span in self.spans if isinstance(span, Graphic))

    def styled(self, **attributes: object) -> str:
        """The text of the spans whose style has every given attribute, e.g. `styled(bold=True)`."""
        return "".join(span.text for span in self.spans
                       if isinstance(span, Span) and all(getattr(span.style, key) == value
                                                         for key, value in attributes.items()))


@dataclass(frozen=True, slots=True)
class Cut:
    partial: bool


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """The host asked the printer something it must answer: `DLE EOT n` (real-time status, the one the
    agent relies on), `GS r n`, `GS I n`, `ESC u n`, `ESC v`."""

    command: str
    n: int = 0
    a: int | None = None  # DLE EOT 7/8 carry a second parameter

    @property
    def realtime(self) -> bool:
        return self.command.startswith("DLE")


Event = Line | Cut | StatusRequest

CUT_MARK = {False: "- - - - - - - - cut - - - - - - - -", True: "- - - - - - partial cut - - - - - -"}


@dataclass
class Document:
    """Everything a stream printed, in order, with the requests it made on the side."""

    items: list[Line | Cut] = field(default_factory=list)
    requests: list[StatusRequest] = field(default_factory=list)
    dropped: int = 0  # bytes that meant nothing to the printer (stray control bytes, broken commands)

    @classmethod
    def from_events(cls, events: Iterable[Event], dropped: int = 0) -> Document:
        document = cls(dropped=dropped)
        for event in events:
            if isinstance(event, StatusRequest):
                document.requests.append(event)
            else:
                document.items.append(event)
        return document

    @property
    def lines(self) -> list[Line]:
        return [item for item in self.items if isinstance(item, Line)]

    @property
    def cuts(self) -> list[Cut]:
        return [item for item in self.items if isinstance(item, Cut)]

    @property
    def graphics(self) -> list[Graphic]:
        return [graphic for line in self.lines for graphic in line.graphics]

    def text(self, columns: int | None = None) -> str:
        """The paper as plain text. With `columns`, centred and right-aligned lines are placed as the
        printer places them, counting double-width characters and magnified text by their cells."""
        out = []
        for item in self.items:
            if isinstance(item, Cut):
                out.append(CUT_MARK[item.partial])
                continue
            text = item.text
            room = (columns or 0) - item.cells
            if room > 0 and item.align is Align.CENTER:
                text = " " * (room // 2) + text
            elif room > 0 and item.align is Align.RIGHT:
                text = " " * room + text
            out.append(text.rstrip())
        return "\n".join(out) + ("\n" if out else "")
