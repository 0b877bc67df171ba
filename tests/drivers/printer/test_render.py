"""Rendered bytes read back by the virtual printer's interpreter are the layout's text, line for line.

The decided correspondence: for each copy, the paper is `receipt_text(...)`, then the six blank lines
python-escpos's `cut()` feeds so the last line clears the cutter, then one full cut. A QR code reads
back as `[qr:<url>]`, which is also how `receipt_text` shows it.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.money import Money
from drivers.printer.layout import cells, layout, receipt_text
from drivers.printer.receipt import Item, Receipt, Store, receipt_from_document
from drivers.printer.render import render
from simulator.printer.document import CUT_MARK, Document
from simulator.printer.interpreter import Interpreter
from tests.drivers.printer.samples import DOCUMENTS, SALE, STORE

FEED_BEFORE_CUT = 6


def read_back(data: bytes, columns: int) -> Document:
    interpreter = Interpreter(chinese=False, columns=columns)
    interpreter.feed(data)
    interpreter.close()
    return Document.from_events(interpreter.events(), interpreter.dropped)


def paper(receipt: Receipt, columns: int, duplicate: bool, copies: tuple[str, ...]) -> str:
    return "".join(receipt_text(receipt, columns, duplicate, copy) + "\n" * FEED_BEFORE_CUT + CUT_MARK[False] + "\n"
                   for copy in copies)


def test_a_job_starts_with_esc_at_then_chinese_mode():
    data = render(receipt_from_document(SALE, STORE))
    assert data.startswith(b"\x1b@\x1c&")
    assert "金额".encode("gb18030") not in data  # sale receipts say 合计/消费, not 金额
    assert "合计 TOTAL".encode("gb18030") in data
    assert b"\x1dV\x00" in data  # full cut


@pytest.mark.parametrize("columns", [32, 48])
@pytest.mark.parametrize("kind", DOCUMENTS)
@pytest.mark.parametrize("duplicate", [False, True])
@pytest.mark.parametrize("copies", [("customer",), ("merchant", "customer")])
def test_round_trip_through_the_virtual_printer(columns, kind, duplicate, copies):
    receipt = receipt_from_document(DOCUMENTS[kind], STORE)
    document = read_back(render(receipt, columns=columns, duplicate=duplicate, copies=copies), columns)
    assert document.dropped == 0
    assert document.text(columns) == paper(receipt, columns, duplicate, copies)
    assert len(document.cuts) == len(copies) and not any(cut.partial for cut in document.cuts)
    assert not any(line.unfinished for line in document.lines)
    assert all(line.cells <= columns for line in document.lines if not line.graphics)


@pytest.mark.parametrize("columns", [32, 48])
def test_styles_read_back_where_the_layout_put_them(columns):
    receipt = receipt_from_document(SALE, STORE)
    document = read_back(render(receipt, columns=columns, duplicate=True, copies=("merchant", "customer")), columns)
    lines = document.lines
    cut_at = document.items.index(document.cuts[0])
    for copy in (document.items[:cut_at], document.items[cut_at + 1:]):
        assert copy[0].text == "重打印 / DUPLICATE"  # the first line of every copy
        assert copy[0].styled(bold=True, width=2 if columns == 48 else 1, height=2) == copy[0].text
    assert sum("DUPLICATE" in line.text for line in lines) == 2
    name = next(line for line in lines if line.text == "小店 Corner Shop")
    assert name.styled(bold=True, width=2, height=2) == "小店 Corner Shop"
    approved = next(line for line in lines if line.text == "交易成功 APPROVED")
    assert approved.styled(bold=True, width=1) == "交易成功 APPROVED"
    total = next(line for line in lines if line.text.startswith("合计 TOTAL"))
    assert total.styled(bold=True) == total.text
    card = next(line for line in lines if line.text.startswith("卡号 CARD"))
    assert card.styled(bold=False, width=1, height=1) == card.text
    assert [graphic.data for graphic in document.graphics] == [STORE.qr, STORE.qr]
    assert {graphic.kind for graphic in document.graphics} == {"qr"}


def test_a_slip_has_its_heading_in_double_size_and_no_qr():
    receipt = receipt_from_document(DOCUMENTS["not_paid"], STORE)
    document = read_back(render(receipt), 48)
    heading = next(line for line in document.lines if "NOT PAID" in line.text)
    assert heading.styled(bold=True, width=2, height=2) == "未付款 / NOT PAID"
    assert document.graphics == []


def test_the_qr_is_a_native_gs_k_symbol_not_a_picture():
    data = render(receipt_from_document(SALE, STORE))
    assert b"\x1d(k" + bytes([len(STORE.qr) + 3, 0]) + b"1P0" + STORE.qr.encode() in data
    assert b"\x1dv0" not in data and b"\x1b*" not in data


@pytest.mark.parametrize(("copies", "match"), [
    (("customer", "customer"), r"copies names 'customer' more than once; .*\(duplicate=True\)"),
    ((), "copies must be a non-empty sequence"),
    ("customer", "copies must be a non-empty sequence"),
    (("customer", "bank"), "copy 'bank' is not one of"),
])
def test_bad_copies_are_refused(copies, match):
    with pytest.raises(ValueError, match=match):
        render(receipt_from_document(SALE, STORE), copies=copies)


# Item names as a till might send them: any letters, digits, punctuation, symbols and spaces of the BMP,
# CJK included, plus control characters that must not reach the printer as commands.
names = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda name: name.strip())
items = st.lists(st.tuples(names, st.integers(1, 99), st.integers(0, 10**7)), min_size=0, max_size=4)


@given(items, st.integers(24, 64), st.booleans(), st.sampled_from(["sale", "not_paid", "void", "contact"]))
def test_any_items_at_any_width_fit_and_round_trip(entries, columns, duplicate, kind):
    goods = tuple(Item(name, quantity, Money(minor)) for name, quantity, minor in entries)
    total = Money(sum(item.total.minor for item in goods)) if goods else Money(100)
    words = [name for name, _, _ in entries] or [None]
    try:
        receipt = Receipt(kind=kind, store=STORE, sale_id="S-1", amount=total, masked="622848******0018",
                          stan="000001", items=goods if kind == "sale" else (), reference=words[0], note=words[-1],
                          case_id="C-1")
    except ValueError as error:  # a generated name that happens to be a Luhn-valid digit run
        assume("card number" not in str(error))
        raise
    rows = layout(receipt, columns, duplicate)
    assert all(row.cells <= columns for row in rows if not row.qr)
    document = read_back(render(receipt, columns=columns, duplicate=duplicate), columns)
    assert document.dropped == 0
    assert document.text(columns) == paper(receipt, columns, duplicate, ("customer",))
    assert all(cells(line) <= columns for line in receipt_text(receipt, columns, duplicate).splitlines()
               if "[qr:" not in line)


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30), st.integers(24, 40))
def test_any_shop_details_round_trip(name, columns):
    store = Store(name=name or "x", address=name, phone=name[:12], footer=name)
    receipt = receipt_from_document(SALE, store)
    document = read_back(render(receipt, columns=columns), columns)
    assert document.dropped == 0
    assert document.text(columns) == paper(receipt, columns, False, ("customer",))
