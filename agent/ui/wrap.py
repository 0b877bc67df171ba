"""Line breaking for screens where Chinese and Latin text mix.

A terminal folds a Chinese sentence at its last column, whatever falls there, so a step could end with a
lone "。" on a line of its own. The rules here are the ones Chinese print follows: a line may break between
any two Chinese characters and at a space in Latin text, but never before closing punctuation (。，、）」…)
nor after opening punctuation (（「“…); the character next to it moves down with it instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

# Never at the start of a line: closing marks, full stops and pauses (full width, and the ASCII ones that
# follow Chinese text unspaced).
NO_START = frozenset("。．，、；：？！）］｝〕〉》」』】〗〙〛”’…‥—～·％‰℃.,;:?!)]}%")
# Never at the end of a line: opening marks.
NO_END = frozenset("（［｛〔〈《「『【〖〘〚“‘([{")

Span = tuple[int, int]


def lines(text: str, width: int) -> list[Span]:
    """Where to break `text` (which may hold newlines) to lines at most `width` cells wide: each line as the
    (start, end) of its slice of `text`, without the spaces a break fell on. A piece that cannot be broken
    and is wider than a line (a long Latin word) is folded at the edge."""
    spans: list[Span] = []
    start = 0
    for paragraph in text.split("\n"):
        spans += _fill(text, start, start + len(paragraph), max(width, 1))
        start += len(paragraph) + 1
    return spans


def wrap(text: str, width: int) -> list[str]:
    """The lines themselves, for tests and plain text."""
    return [text[start:end] for start, end in lines(text, width)]


class Wrapped:
    """A `Text` drawn broken by `lines` at whatever width it is given, its styles kept."""

    def __init__(self, text: Text | str, style: str = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shown = [self.text[start:end] for start, end in lines(self.text.plain, options.max_width)]
        yield Text("\n").join(shown)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        widest = max((cell_len(plain[start:end]) for start, end in _atoms(plain, 0, len(plain))), default=0)
        longest = max((cell_len(line) for line in plain.split("\n")), default=0)
        return Measurement(min(widest, options.max_width), min(longest, options.max_width))


def _fill(text: str, start: int, end: int, width: int) -> list[Span]:
    spans: list[Span] = []
    line: Span | None = None  # the line being filled, spaces at its end included
    for atom_start, atom_end in _atoms(text, start, end):
        piece = text[atom_start:atom_end]
        if line is None:
            if piece.isspace():
                continue  # a line never starts with the space a break fell on
            line = (atom_start, atom_start)
        if cell_len(text[line[0]:atom_end]) <= width:
            line = (line[0], atom_end)
            continue
        if line[0] < atom_start:
            spans.append(_trimmed(text, line))
        line = None
        if piece.isspace():
            continue
        for part in _folded(piece, width)[:-1]:  # wider than a line: folded at the edge
            spans.append((atom_start, atom_start + len(part)))
            atom_start += len(part)
        line = (atom_start, atom_end)
    spans.append(_trimmed(text, line) if line is not None else (end, end))
    return spans


def _folded(piece: str, width: int) -> list[str]:
    """A piece wider than a line, cut into lines at the edge — a character earlier where the cut would start a
    line with closing punctuation or end one with opening punctuation ("000000000000." at 12 columns)."""
    parts, start = [], 0
    while cell_len(piece[start:]) > width:
        edge = start + len(chop_cells(piece[start:], width)[0])
        cut = edge
        while cut - start > 1 and (piece[cut] in NO_START or piece[cut - 1] in NO_END):
            cut -= 1
        if piece[cut] in NO_START or piece[cut - 1] in NO_END:
            cut = edge  # nothing but punctuation to move: the edge it is
        parts.append(piece[start:cut])
        start = cut
    return [*parts, piece[start:]]


def _trimmed(text: str, span: Span) -> Span:
    start, end = span
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _atoms(text: str, start: int, end: int) -> Iterator[Span]:
    """The pieces a line never breaks inside: a run of spaces, a Latin word, or one wide character — each
    with the closing punctuation that follows it and the opening punctuation before it."""
    atoms: list[Span] = []
    index = start
    while index < end:
        char = text[index]
        stop = index + 1
        if char.isspace():
            while stop < end and text[stop].isspace():
                stop += 1
        elif cell_len(char) < 2:
            while stop < end and not text[stop].isspace() and cell_len(text[stop]) < 2 \
                    and text[stop] not in NO_END:
                stop += 1
        glued = atoms and not text[atoms[-1][0]].isspace() and (
            char in NO_START or text[atoms[-1][1] - 1] in NO_END)
        if glued and not char.isspace():
            atoms[-1] = (atoms[-1][0], stop)
        else:
            atoms.append((index, stop))
        index = stop
    return iter(atoms)
