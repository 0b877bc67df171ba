"""`recoup render`: what an ESC/POS byte file puts on paper, for an integrator checking a driver's output or
a manager reading a receipt saved by `recoup devices` or kept as evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.printer.document import Document


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "render", help="interpret an ESC/POS byte file: the text, and a picture of the paper",
        description="Read an ESC/POS byte stream as a receipt printer would and print its text (cuts shown). "
        "With --png, also draw the paper. Chinese needs a CJK font: --font, else $RECOUP_CJK_FONT, else the "
        "usual font folders and fc-match; the font used is said on standard error.")
    parser.add_argument("file", type=Path, metavar="FILE", help="the ESC/POS bytes, e.g. receipts/0001.bin")
    parser.add_argument("--png", type=Path, metavar="OUT", help="also draw the paper into this PNG file")
    parser.add_argument("--columns", type=int, choices=(32, 48), default=48,
                        help="paper width in characters: 32 (58 mm) or 48 (80 mm, the default)")
    parser.add_argument("--chinese", action="store_true",
                        help="the printer starts in Chinese (GB18030) mode, as printers sold in China do")
    parser.add_argument("--font", type=Path, metavar="PATH", help="the CJK font to draw with (TTF/OTF/TTC)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    from simulator.printer.interpreter import render

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"recoup render: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    document = render(data, chinese=args.chinese, columns=args.columns)
    sys.stdout.write(document.text(args.columns))
    if document.dropped:
        print(f"recoup render: {document.dropped} byte(s) meant nothing to the printer and were dropped",
              file=sys.stderr)
    return _picture(document, args) if args.png else 0


def _picture(document: Document, args: argparse.Namespace) -> int:
    from simulator.printer.picture import FontError, draw, find_fonts

    try:
        fonts = find_fonts(args.font)
        print(f"recoup render: {fonts.describe()}", file=sys.stderr)
        draw(document, args.columns, fonts).save(args.png, format="PNG")
    except FontError as exc:
        print(f"recoup render: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"recoup render: cannot write {args.png}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
