"""Laid-out receipts to ESC/POS bytes, through python-escpos's Dummy printer.

Text goes out in GB18030 after FS & (Chinese mode on) rather than through python-escpos's text
encoder: that encoder switches to GB18030 only for text containing common hanzi and otherwise hunts
through single-byte code pages with ESC t, and it never sends FS &, so it works only on printers that
happen to start in Chinese mode. In Chinese mode ASCII stays ASCII, so one encoding serves every row.

Sizes use GS ! (python-escpos's custom_size) rather than ESC !, because ESC ! magnifies only Latin
characters on Chinese printers; GS ! magnifies hanzi too, which a double-size 未付款 needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from escpos.printer import Dummy

from drivers.printer.layout import Row, layout
from drivers.printer.receipt import Receipt

CHINESE_ON = b"\x1c&"  # FS &
QR_MODULE = 4  # dots per QR module: a 256-character URL stays narrower than 58 mm paper


def render(receipt: Receipt, *, columns: int = 48, duplicate: bool = False,
           copies: Sequence[str] = ("customer",)) -> bytes:
    """One block per copy, each ending in a full cut. Two copies of the same name would be two
    originals of one receipt, so they are refused: a second one is a reprint, marked as such."""
    if isinstance(copies, str) or not copies:
        raise ValueError(f"copies must be a non-empty sequence such as ('merchant', 'customer'), got {copies!r}")
    repeated = sorted({copy for copy in copies if list(copies).count(copy) > 1})
    if repeated:
        raise ValueError(f"copies names {', '.join(map(repr, repeated))} more than once; print another copy "
                         "as a reprint (duplicate=True), which marks it 重打印 / DUPLICATE")
    pages = [layout(receipt, columns, duplicate, copy) for copy in copies]
    printer = Dummy()
    printer.hw("INIT")
    printer._raw(CHINESE_ON)
    for rows in pages:
        for row in rows:
            _row(printer, row)
        printer.cut()
    return printer.output


def _row(printer: Dummy, row: Row) -> None:
    """Every row states its whole style, so no style leaks from one row, or one copy, into the next."""
    printer.set(align=row.align, bold=row.bold, custom_size=True, width=row.width, height=row.height)
    if row.qr:
        printer.qr(row.text, native=True, size=QR_MODULE)
    else:
        printer._raw(row.text.encode("gb18030") + b"\n")
