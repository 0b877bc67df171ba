"""Receipts written by python-escpos, the field's library and the one our printer driver uses, read back.

python-escpos sends GB18030 for any text with CJK in it and never sends FS &: it assumes a printer sold
in China, which starts in Chinese mode. Those receipts are read with `chinese=True`; with FS & sent
explicitly they read the same on a printer that starts in code page mode.
"""

from __future__ import annotations

import pytest

from simulator.printer.document import Align, Cut, Graphic, StatusRequest
from simulator.printer.interpreter import render
from tests.simulator.printer.helpers import render_in_chunks

escpos_printer = pytest.importorskip("escpos.printer", reason="python-escpos is in the test extra")
escpos_constants = pytest.importorskip("escpos.constants")
Image = pytest.importorskip("PIL.Image")


def receipt(*, chinese_mode_command: bool = False) -> bytes:
    printer = escpos_printer.Dummy()
    printer.hw("INIT")
    if chinese_mode_command:
        printer._raw(b"\x1c&")
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.textln("小店 Corner Shop")
    printer.set_with_default()
    printer.textln("消费 / SALE")
    printer.set(align="right")
    printer.textln("合计 Total: ¥12.50")
    printer.set(align="left", underline=1)
    printer.textln("Card **** **** **** 1234")
    printer.set_with_default(bold=True)
    printer.text("Auth ")
    printer.set(bold=False)
    printer.textln("123456")
    printer.qr("https://example.com/r/0001?门店=1", native=True, size=4)
    printer.barcode("{B" + "R0001-X", "CODE128", function_type="B")
    printer.barcode("4006381333931", "EAN13")
    printer.image(Image.new("1", (64, 48), 1), impl="bitImageColumn")
    printer.textln("谢谢惠顾 Thank you")
    printer.cut()
    printer.cut(mode="PART")
    return printer.output


EXPECTED = [
    ("小店 Corner Shop", Align.CENTER), ("消费 / SALE", Align.LEFT), ("合计 Total: ¥12.50", Align.RIGHT),
    ("Card **** **** **** 1234", Align.LEFT), ("Auth 123456", Align.LEFT),
    ("[qr:https://example.com/r/0001?门店=1]", Align.LEFT), ("[barcode:R0001-X]", Align.CENTER),
    ("[barcode:4006381333931]", Align.CENTER), ("[image]", Align.CENTER), ("谢谢惠顾 Thank you", Align.CENTER),
]


def printed(document) -> list[tuple[str, Align]]:
    return [(line.text, line.align) for line in document.lines if line.text]


def test_a_python_escpos_receipt_reads_back_with_chinese_styles_codes_and_cuts():
    document = render(receipt(), chinese=True)
    assert printed(document) == EXPECTED
    assert document.dropped == 0
    header, _, _, card, auth = document.lines[:5]
    assert {(span.style.bold, span.style.width, span.style.height) for span in header.spans} == {(True, 2, 2)}
    assert card.spans[0].style.underline == 1
    assert auth.styled(bold=True) == "Auth " and auth.styled(bold=False) == "123456"
    assert [g.symbology for g in document.graphics if g.kind == "barcode"] == ["CODE128", "EAN13"]
    assert document.cuts == [Cut(partial=False), Cut(partial=True)]
    assert document.items[-1] == Cut(partial=True)


def test_with_fs_ampersand_it_reads_the_same_on_a_code_page_printer():
    assert printed(render(receipt(chinese_mode_command=True))) == EXPECTED


def test_fed_in_any_chunks_it_reads_the_same():
    data = receipt()
    whole = render(data, chinese=True)
    assert render_in_chunks(data, list(range(len(data))), chinese=True) == whole
    assert render_in_chunks(data, list(range(0, len(data), 7)), chinese=True) == whole


def test_images_in_every_python_escpos_implementation_are_one_image_each():
    for impl in ("bitImageRaster", "graphics", "bitImageColumn"):
        printer = escpos_printer.Dummy()
        printer.image(Image.new("1", (100, 70), 0), impl=impl)
        printer.textln("after")
        document = render(printer.output)
        assert [g.kind for g in document.graphics] == ["image"], impl
        assert document.lines[-1].text == "after" and document.dropped == 0


def test_a_qr_code_python_escpos_renders_itself_is_an_image():
    printer = escpos_printer.Dummy()
    printer.qr("https://example.com")
    assert render(printer.output).graphics == [Graphic("image")]


def test_python_escpos_status_queries_are_requests_to_answer():
    document = render(escpos_constants.RT_STATUS_ONLINE + escpos_constants.RT_STATUS_PAPER)
    assert document.requests == [StatusRequest("DLE EOT", 1), StatusRequest("DLE EOT", 4)]


# Bytes that mean nothing to a printer, as line noise or a buggy driver would insert them.
STRAYS = bytes([0x00, 0x01, 0x07, 0x0B, 0x0E, 0x13, 0x1A, 0x1F, 0x7F])


def test_a_stray_byte_anywhere_costs_at_most_the_command_or_line_it_lands_in():
    data = receipt()
    original = [line.text for line in render(data, chinese=True).lines if line.text]
    for at in range(len(data) + 1):
        stray = STRAYS[at % len(STRAYS):at % len(STRAYS) + 1]
        lines = [line.text for line in render(data[:at] + stray + data[at:], chinese=True).lines if line.text]
        missing = list(original)
        for text in lines:
            if text in missing:
                missing.remove(text)
        assert len(missing) <= 2, f"{stray!r} at byte {at} cost {missing}"


@pytest.mark.parametrize("text", ["小店 Corner Shop", "Total: ¥12.50", "Card **** **** **** 1234", "谢谢惠顾 Thank"])
def test_a_stray_byte_inside_text_costs_nothing(text):
    data = receipt()
    original = render(data, chinese=True).lines
    at = data.index(text.encode("gb18030"))
    for char in text[:-1]:  # between every two characters, never inside a GB18030 one
        at += len(char.encode("gb18030"))
        for stray in STRAYS:
            document = render(data[:at] + bytes([stray]) + data[at:], chinese=True)
            assert document.lines == original, f"{stray:#04x} at byte {at}"
            assert document.dropped == 1
