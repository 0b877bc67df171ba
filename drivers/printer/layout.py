"""Receipts laid out in character cells, as a CJK printer places them.

In Chinese mode a printer draws a hanzi 24 dots wide beside 12-dot Latin letters, so a column count is
a count of cells, not characters: padding and wrapping are done in cells, or a Chinese label pushes its
value off the paper. Every row fits the paper as laid out here, so the printer never wraps a line by
itself; `receipt_text` is therefore exactly the paper, line for line, for e-receipts and tests.

Only an approved sale gets the words 交易成功 / APPROVED; the slips say what did not happen.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from drivers.printer.receipt import Receipt

MIN_COLUMNS, MAX_COLUMNS = 24, 128
COPIES = {"customer": "持卡人存根 CUSTOMER COPY", "merchant": "商户存根 MERCHANT COPY"}
DUPLICATE = "重打印 / DUPLICATE"
_SPACES = "\t\n\v\f\r"  # not str.isspace(): that counts FS, GS, RS and US, printer command bytes, as spaces


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def clean(text: str) -> str:
    """What may reach the paper: whitespace becomes a plain space, and control, format and unassigned
    characters become '?', so a name from a till can neither inject printer commands nor print
    something no font has."""
    return "".join(" " if char in _SPACES or unicodedata.category(char)[0] == "Z"
                   else "?" if unicodedata.category(char)[0] == "C" else char for char in text)


@dataclass(frozen=True)
class Row:
    """One printed line, with its character magnification; a QR row's text is the code's data."""

    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    align: str = "left"
    qr: bool = False

    @property
    def cells(self) -> int:
        return len(self.shown) if self.qr else cells(self.text) * self.width

    @property
    def shown(self) -> str:
        """The row's text as `receipt_text` shows it; a QR code as the virtual printer names it."""
        return f"[qr:{self.text}]" if self.qr else self.text


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells, broken at spaces where possible. Words with hanzi (which break
    anywhere) and words longer than a line are broken between characters, never inside one."""
    lines: list[str] = []
    line = ""
    for word in clean(text).split():
        sep = " " if line else ""
        if cells(line + sep + word) <= width:
            line += sep + word
            continue
        if cells(word) <= width and cells(word) == len(word):
            lines.append(line)
            line = word
            continue
        line += sep
        for char in word:
            if cells(line) + cells(char) > width:
                lines.append(line.rstrip())
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


class _Sheet:
    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[Row] = []

    def center(self, text: str, *, bold: bool = False) -> None:
        self.rows += [Row(line, bold, align="center") for line in wrap(text, self.columns)]

    def big(self, text: str) -> None:
        """Double size where the whole text fits on one line so; else double height only, so that a
        heading such as 重打印 / DUPLICATE is never broken into words that read differently alone."""
        text = " ".join(clean(text).split())
        width = 2 if cells(text) * 2 <= self.columns else 1
        self.rows += [Row(line, True, width, 2, "center") for line in wrap(text, self.columns // width)]

    def para(self, text: str, *, bold: bool = False, indent: int = 0) -> None:
        self.rows += [Row(" " * indent + line, bold) for line in wrap(text, self.columns - indent)]

    def pair(self, label: str, value: str | None, *, bold: bool = False) -> None:
        """Label left, value flush right in the same row when both fit, else the value right-aligned on
        the rows below the label. Nothing at all when the value is unknown."""
        if value is None or not clean(value).strip():
            return
        labels = wrap(label, self.columns)
        values = wrap(value, self.columns)
        last = labels[-1]
        if len(values) == 1 and cells(last) + 1 + cells(values[0]) <= self.columns:
            labels[-1] = last + " " * (self.columns - cells(last) - cells(values[0])) + values[0]
            values = []
        self.rows += [Row(line, bold) for line in labels]
        self.rows += [Row(" " * (self.columns - cells(line)) + line, bold) for line in values]

    def rule(self) -> None:
        self.rows.append(Row("-" * self.columns))


def layout(receipt: Receipt, columns: int = 48, duplicate: bool = False, copy: str = "customer") -> list[Row]:
    if isinstance(columns, bool) or not isinstance(columns, int) or not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise ValueError(f"columns must be a whole number {MIN_COLUMNS}..{MAX_COLUMNS}, got {columns!r}")
    if copy not in COPIES:
        raise ValueError(f"copy {copy!r} is not one of {', '.join(COPIES)}")
    sheet = _Sheet(columns)
    if duplicate:
        sheet.big(DUPLICATE)
    store = receipt.store
    sheet.big(store.name)
    sheet.center(store.address)
    if store.phone:
        sheet.center(f"电话 TEL {store.phone}")
    sheet.center(COPIES[copy], bold=True)
    _BODIES[receipt.kind](sheet, receipt)
    return sheet.rows


def _facts(sheet: _Sheet, receipt: Receipt) -> None:
    store = receipt.store
    sheet.pair("商户名称 MERCHANT", store.name)
    sheet.pair("商户编号 MERCHANT NO", store.merchant_id)
    sheet.pair("终端号 TERMINAL", store.terminal_id)
    sheet.pair("订单号 ORDER", receipt.reference)
    sheet.pair("交易编号 SALE ID", receipt.sale_id)


def _card(sheet: _Sheet, receipt: Receipt) -> None:
    sheet.pair("卡号 CARD", receipt.masked)
    sheet.pair("授权码 AUTH", receipt.auth_code)
    sheet.pair("参考号 RRN", receipt.rrn)
    sheet.pair("凭证号 STAN", receipt.stan)
    sheet.pair("日期时间 DATE/TIME", _time(receipt))


def _time(receipt: Receipt) -> str | None:
    return None if receipt.time is None else receipt.time.strftime("%Y-%m-%d %H:%M:%S")


def _amount(receipt: Receipt, sign: str = "") -> str | None:
    return None if receipt.amount is None else f"{sign}{receipt.amount}"


def _case_and_contact(sheet: _Sheet, receipt: Receipt) -> None:
    sheet.pair("案件号 CASE", receipt.case_id)
    if receipt.store.phone:
        sheet.para(f"如有疑问请联系 Questions? Call {receipt.store.phone}")


def _sale(sheet: _Sheet, receipt: Receipt) -> None:
    sheet.rule()
    _facts(sheet, receipt)
    sheet.rule()
    for item in receipt.items:
        sheet.pair(item.name, item.total.amount_text())
        if item.quantity > 1:
            sheet.para(f"{item.quantity} x {item.price.amount_text()}", indent=2)
    if not receipt.items:
        sheet.pair("消费 SALE", _amount(receipt))
    sheet.rule()
    sheet.pair("合计 TOTAL", _amount(receipt), bold=True)
    _card(sheet, receipt)
    sheet.rule()
    sheet.center("交易成功 APPROVED", bold=True)
    sheet.center(receipt.store.footer)
    if receipt.store.qr:
        sheet.rows.append(Row(receipt.store.qr, align="center", qr=True))


def _not_paid(sheet: _Sheet, receipt: Receipt) -> None:
    sheet.big("未付款 / NOT PAID")
    sheet.para(f"本凭条作废原小票 This slip cancels receipt {receipt.original_receipt_id}")
    sheet.rule()
    _facts(sheet, receipt)
    sheet.pair("金额 AMOUNT", _amount(receipt), bold=True)
    _card(sheet, receipt)
    sheet.rule()
    sheet.para("交易未成功，未扣款 The payment did not go through", bold=True)
    _case_and_contact(sheet, receipt)


def _void(sheet: _Sheet, receipt: Receipt) -> None:
    sheet.big("交易撤销 / VOID")
    if receipt.original_receipt_id:
        sheet.para(f"本凭条作废原小票 This slip cancels receipt {receipt.original_receipt_id}")
    sheet.rule()
    _facts(sheet, receipt)
    sheet.pair("原凭证号 ORIGINAL STAN", receipt.original_stan)
    sheet.pair("撤销金额 VOID AMOUNT", _amount(receipt, "-"), bold=True)
    _card(sheet, receipt)
    sheet.rule()
    sheet.para("原交易已撤销，款项退回原卡 The sale is cancelled; the amount goes back to the card")
    _case_and_contact(sheet, receipt)


def _contact(sheet: _Sheet, receipt: Receipt) -> None:
    if receipt.store.phone:
        sheet.center(f"如有疑问请联系 Questions? Call {receipt.store.phone}", bold=True)
    sheet.rule()
    sheet.pair("案件号 CASE", receipt.case_id, bold=True)
    sheet.pair("交易编号 SALE ID", receipt.sale_id)
    sheet.pair("金额 AMOUNT", _amount(receipt))
    sheet.pair("日期时间 DATE/TIME", _time(receipt))
    if receipt.note:
        sheet.rule()
        sheet.para(f"备注 NOTE: {receipt.note}")


_BODIES = {"sale": _sale, "not_paid": _not_paid, "void": _void, "contact": _contact}


def rows_text(rows: list[Row], columns: int) -> str:
    """The paper as text: centred rows placed in the middle of the line the way the printer places
    them (magnified and double-width characters counted by their cells), trailing spaces dropped."""
    out = []
    for row in rows:
        room = columns - row.cells
        pad = 0 if room <= 0 or row.align == "left" else room // 2 if row.align == "center" else room
        out.append((" " * pad + row.shown).rstrip())
    return "\n".join(out) + ("\n" if out else "")


def receipt_text(receipt: Receipt, columns: int = 48, duplicate: bool = False, copy: str = "customer") -> str:
    return rows_text(layout(receipt, columns, duplicate, copy), columns)
