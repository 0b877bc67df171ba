"""A picture of the paper, for people: `recoup render --png` and evidence packages show what the customer
was handed, styles and all, where the text form shows only the words.

The geometry is the printer's, not a typesetter's: Font A cells of 12 × 24 dots, CJK characters two cells
wide, 6 dots between lines, paper 12 dots per column (384 dots for 58 mm paper of 32 columns, 576 for
80 mm paper of 48), magnification by scaling the drawn cell as the printer does. Codes and images are
not drawn, only boxed and labelled with what they carry: the interpreter never decodes pixels.

Chinese needs a CJK font, and none ships with Pillow, so one is looked for where each platform keeps
them; the caller says which was used, because a receipt full of boxes otherwise looks like a bug.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from simulator.printer.document import Align, Cut, Document, Graphic, Line, Span, char_cells

CELL_WIDTH, CELL_HEIGHT, LINE_GAP, MARGIN = 12, 24, 6, 12
FONT_SIZE, BASELINE, LABEL_SIZE = 20, 19, 14
BOXES = {"qr": (144, 144), "barcode": (288, 72), "image": (192, 96)}  # dots; other 2D codes get the qr box
ENV = "RECOUP_CJK_FONT"

_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
CJK_FONTS = tuple(Path(path) for path in (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSans.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSans-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/droid/DroidSansFallback.ttf",
    _WINDOWS_FONTS / "msyh.ttc",
    _WINDOWS_FONTS / "msyh.ttf",
    _WINDOWS_FONTS / "simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
))
FALLBACK_FONTS = tuple(Path(path) for path in (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    "/usr/local/share/fonts/DejaVuSansMono.ttf",
))


class FontError(Exception):
    """A font the user named cannot be used."""


@dataclass(frozen=True)
class Fonts:
    regular: Path | None  # None: Pillow's built-in font
    bold: Path | None  # None: bold is drawn twice, one dot apart, as impact printers do
    cjk: bool
    source: str  # where the font was found: "--font", ENV, "a common path", "fc-match" or "fallback"

    def describe(self) -> str:
        name = str(self.regular) if self.regular else "Pillow's default font"
        if self.cjk:
            return f"drawing with {name} (from {self.source})"
        return (f"no CJK font found (looked at --font, {ENV}, the usual font folders and fc-match); "
                f"Chinese characters will show as boxes; drawing with {name}")


def find_fonts(font: Path | None = None, *, environ: Mapping[str, str] = os.environ,
               candidates: Sequence[Path] = CJK_FONTS, fallbacks: Sequence[Path] = FALLBACK_FONTS,
               fc_match: str | None = "fc-match") -> Fonts:
    """The first CJK font of: `font`, $RECOUP_CJK_FONT, `candidates`, fc-match's choice for Chinese."""
    for named, source in ((font, "--font"), (environ.get(ENV), ENV)):
        if named:
            path = Path(named)
            if not path.is_file():
                raise FontError(f"font {path} (from {source}) not found")
            return Fonts(path, _bold_of(path), True, source)
    for path in candidates:
        if path.is_file():
            return Fonts(path, _bold_of(path), True, "a common path")
    matched = _fc_match_chinese(fc_match)
    if matched is not None:
        return Fonts(matched, _bold_of(matched), True, "fc-match")
    path = next((path for path in fallbacks if path.is_file()), None)
    return Fonts(path, path and _bold_of(path), False, "fallback")


def _bold_of(path: Path) -> Path | None:
    """The bold face beside a font file, by the names families use: X-Regular/X-Bold, X/X-Bold, msyh/msyhbd."""
    names = (path.name.replace("Regular", "Bold"), f"{path.stem}-Bold{path.suffix}", f"{path.stem}bd{path.suffix}")
    return next((path.with_name(name) for name in names
                 if name != path.name and path.with_name(name).is_file()), None)


def _fc_match_chinese(command: str | None) -> Path | None:
    """fontconfig always names *some* font, so its answer counts only if that font covers Chinese."""
    executable = command and shutil.which(command)
    if not executable:
        return None
    try:
        out = subprocess.run([executable, "-f", "%{lang}\n%{file}", ":lang=zh"], capture_output=True, text=True,
                             timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    languages, _, file = out.partition("\n")
    if not any(language.startswith("zh") for language in languages.split("|")) or not Path(file).is_file():
        return None
    return Path(file)


class _Faces:
    def __init__(self, fonts: Fonts) -> None:
        self.regular = self._load(fonts.regular, FONT_SIZE)
        self.bold = self._load(fonts.bold, FONT_SIZE) if fonts.bold else None
        self.label = self._load(fonts.regular, LABEL_SIZE)

    @staticmethod
    def _load(path: Path | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if path is None:
            return ImageFont.load_default(size)
        try:
            return ImageFont.truetype(str(path), size)
        except OSError as exc:
            raise FontError(f"cannot read font {path}: {exc}") from exc


def draw(document: Document, columns: int, fonts: Fonts) -> Image.Image:
    """The roll of paper `columns` wide with everything the document printed, in grey levels."""
    faces = _Faces(fonts)
    width = columns * CELL_WIDTH
    heights = [_height(item, width) for item in document.items]
    paper = Image.new("L", (width, sum(heights) + 2 * MARGIN), 255)
    y = MARGIN
    for item, height in zip(document.items, heights, strict=True):
        if isinstance(item, Cut):
            _cut(paper, y + height // 2, item.partial)
        else:
            _line(paper, y, height - LINE_GAP, item, faces)
        y += height
    return paper


def _box(graphic: Graphic, width: int) -> tuple[int, int]:
    box_width, box_height = BOXES.get(graphic.kind, BOXES["qr"])
    return min(box_width, width), box_height


def _span_size(span: Span | Graphic, width: int) -> tuple[int, int]:
    if isinstance(span, Graphic):
        return _box(span, width)
    return span.cells * CELL_WIDTH, CELL_HEIGHT * span.style.height


def _height(item: Line | Cut, width: int) -> int:
    if isinstance(item, Cut):
        return CELL_HEIGHT
    return max((_span_size(span, width)[1] for span in item.spans), default=CELL_HEIGHT) + LINE_GAP


def _line(paper: Image.Image, top: int, height: int, line: Line, faces: _Faces) -> None:
    sizes = [_span_size(span, paper.width) for span in line.spans]
    room = paper.width - sum(size[0] for size in sizes)
    x = {Align.LEFT: 0, Align.CENTER: room // 2, Align.RIGHT: room}[line.align] if room > 0 else 0
    for span, (span_width, span_height) in zip(line.spans, sizes, strict=True):
        picture = _graphic(span, span_width, span_height, faces) if isinstance(span, Graphic) else _text(span, faces)
        paper.paste(picture, (x, top + height - span_height))  # characters of every size share the baseline
        x += span_width


def _text(span: Span, faces: _Faces) -> Image.Image:
    """The span at normal size, then magnified as a whole, as the printer scales its dot pattern."""
    style = span.style
    cells = Image.new("L", (span.cells // style.width * CELL_WIDTH, CELL_HEIGHT), 255)
    pen = ImageDraw.Draw(cells)
    font = faces.bold if style.bold and faces.bold else faces.regular
    x = 0
    for char in span.text:
        middle = x + char_cells(char) * CELL_WIDTH // 2
        pen.text((middle, BASELINE), char, fill=0, font=font, anchor="ms")
        if style.bold and not faces.bold:
            pen.text((middle + 1, BASELINE), char, fill=0, font=font, anchor="ms")
        x += char_cells(char) * CELL_WIDTH
    if style.underline:
        pen.rectangle((0, CELL_HEIGHT - style.underline, cells.width, CELL_HEIGHT - 1), fill=0)
    if style.inverted:
        cells = ImageOps.invert(cells)
    return cells.resize((cells.width * style.width, cells.height * style.height), Image.Resampling.NEAREST)


def _graphic(graphic: Graphic, width: int, height: int, faces: _Faces) -> Image.Image:
    """A box in place of the code or picture, labelled with what it carries, wrapped to fit."""
    box = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(box)
    pen.rectangle((0, 0, width - 1, height - 1), outline=0, width=2)
    label, rows = graphic.text, []
    while label:
        take = len(label)
        while take > 1 and pen.textlength(label[:take], font=faces.label) > width - 12:
            take -= 1
        rows.append(label[:take])
        label = label[take:]
    for index, row in enumerate(rows[:(height - 8) // (LABEL_SIZE + 2)]):
        pen.text((6, 4 + index * (LABEL_SIZE + 2)), row, fill=0, font=faces.label)
    return box


def _cut(paper: Image.Image, y: int, partial: bool) -> None:
    """Dashes across the paper; a partial cut leaves the middle joined, as the blade does."""
    pen = ImageDraw.Draw(paper)
    bridge = range(paper.width // 2 - 24, paper.width // 2 + 24) if partial else range(0)
    for x in range(0, paper.width, 14):
        if x not in bridge:
            pen.line((x, y, min(x + 8, paper.width - 1), y), fill=0, width=2)
