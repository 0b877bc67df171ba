"""Layout in cells: Chinese labels line up with English ones, nothing runs off the paper, and each kind
says exactly what happened — only an approved sale says it was paid."""

from __future__ import annotations

import pytest

from domain.money import Money
from drivers.printer.layout import Row, cells, clean, layout, receipt_text, wrap
from drivers.printer.receipt import Item, Store, receipt_from_document
from tests.drivers.printer.samples import CONTACT, DOCUMENTS, NOT_PAID, SALE, STORE, VOID

WIDTHS = (32, 48)


def text(document: dict, columns: int = 48, **options) -> str:
    return receipt_text(receipt_from_document(document, STORE), columns, **options)


def flat(document: dict, **options) -> str:
    """The words of the paper with line breaks and alignment padding taken out, to find wrapped sentences."""
    return " ".join(text(document, **options).split())


def test_cells_count_wide_and_fullwidth_characters_twice():
    assert cells("AMOUNT") == 6
    assert cells("金额") == 4
    assert cells("ＡＢ") == 4  # fullwidth Latin
    assert cells("，：") == 4  # fullwidth punctuation
    assert cells("ｶﾀ") == 2  # halfwidth katakana
    assert cells("金额 AMOUNT") == 11


def test_clean_keeps_printer_commands_and_odd_spaces_off_the_paper():
    assert clean("Cola\x1b@\x1d!\x11") == "Cola?@?!?"
    assert clean("a\tb\u3000c\u00a0d\u2028e") == "a b c d e"
    assert clean("zero\u200bwidth\ue000") == "zero?width?"


@pytest.mark.parametrize("width", [8, 9, 16, 17, 32])
def test_wrap_fits_the_width_and_never_splits_a_character(width):
    source = "深圳市南山区科技园 Science Park Road 1, Building 12A 深圳湾创业广场 supercalifragilisticexpialidocious"
    lines = wrap(source, width)
    assert all(cells(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == source.replace(" ", "")


def test_wrap_breaks_latin_at_spaces_and_hanzi_anywhere():
    assert wrap("Questions? Call 0755-12345678", 16) == ["Questions? Call", "0755-12345678"]
    assert wrap("谢谢惠顾欢迎再来", 10) == ["谢谢惠顾欢", "迎再来"]
    assert wrap("OK 谢谢惠顾欢迎再来", 10) == ["OK 谢谢惠", "顾欢迎再来"]
    assert wrap("   ", 10) == []


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("kind", DOCUMENTS)
@pytest.mark.parametrize("duplicate", [False, True])
def test_every_row_fits_the_paper(columns, kind, duplicate):
    rows = layout(receipt_from_document(DOCUMENTS[kind], STORE), columns, duplicate)
    assert all(row.cells <= columns for row in rows if not row.qr)
    for line in text(DOCUMENTS[kind], columns, duplicate=duplicate).splitlines():
        assert cells(line) <= columns or line.lstrip().startswith("[qr:")


@pytest.mark.parametrize("columns", WIDTHS)
def test_values_end_at_the_right_edge_whatever_the_labels_script(columns):
    lines = text(SALE, columns).splitlines()
    for label, value in [("卡号 CARD", "411111******1111"), ("凭证号 STAN", "000042"), ("参考号 RRN", "412206000042"),
                         ("合计 TOTAL", "CNY 58.00"), ("终端号 TERMINAL", "T0000001")]:
        row = next(line for line in lines if line.startswith(label))
        assert row.endswith(value)
        assert cells(row) == columns


def test_a_value_too_long_for_its_labels_row_goes_right_aligned_below_it():
    lines = text(SALE, 32).splitlines()
    at = lines.index("日期时间 DATE/TIME")
    assert lines[at + 1] == " " * 13 + "2024-05-01 14:03:22"


def test_the_sale_receipt():
    paper = text({**SALE, "reference": "ORD-88"})
    for expected in ["小店 Corner Shop", "深圳市南山区科技园 Science Park Road 1", "电话 TEL 0755-12345678",
                     "持卡人存根 CUSTOMER COPY", "商户名称 MERCHANT", "商户编号 MERCHANT NO", "898440358120001",
                     "终端号 TERMINAL", "T0000001", "订单号 ORDER", "ORD-88", "交易编号 SALE ID", "消费 SALE",
                     "合计 TOTAL", "CNY 58.00", "卡号 CARD", "411111******1111", "授权码 AUTH", "A12345",
                     "参考号 RRN", "412206000042", "凭证号 STAN", "000042", "日期时间 DATE/TIME",
                     "2024-05-01 14:03:22", "交易成功 APPROVED", "谢谢惠顾 Thank you",
                     "[qr:https://e.example.com/r/S-0001]"]:
        assert expected in paper, expected
    assert paper.index("交易成功 APPROVED") > paper.index("合计 TOTAL")
    assert "DUPLICATE" not in paper


def test_the_merchant_copy_says_so():
    assert "商户存根 MERCHANT COPY" in text(SALE, copy="merchant")
    assert "CUSTOMER COPY" not in text(SALE, copy="merchant")


def test_items_replace_the_single_sale_line():
    items = [{"name": "可口可乐 Coca-Cola 330ml", "quantity": 2, "price": {"minor": 350, "currency": "CNY"}},
             {"name": "Sandwich", "quantity": 1, "price": {"minor": 5100, "currency": "CNY"}}]
    lines = text({**SALE, "items": items}, 32).splitlines()
    assert "消费 SALE" not in "\n".join(lines)
    assert "可口可乐 Coca-Cola 330ml    7.00" in lines
    assert "  2 x 3.50" in lines
    assert "Sandwich                   51.00" in lines


def test_a_long_item_name_wraps_with_its_total_on_its_last_line():
    receipt = receipt_from_document(SALE, STORE)
    receipt = type(receipt)(**{**receipt.__dict__, "items": (Item("特级" * 20 + " Premium", 1, Money(5800)),)})
    lines = receipt_text(receipt, 32).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("特级"))
    assert lines[start:start + 3] == ["特级" * 8, "特级" * 8, "特级" * 4 + " Premium" + " " * 3 + "58.00"]


def test_the_time_prints_as_given():
    assert "2024-05-01 06:03:22" in text({**SALE, "time": "2024-05-01T06:03:22+00:00"})


@pytest.mark.parametrize("kind", DOCUMENTS)
@pytest.mark.parametrize("copy", ["customer", "merchant"])
def test_a_reprint_is_marked_near_the_top_of_every_copy(kind, copy):
    narrow = layout(receipt_from_document(DOCUMENTS[kind], STORE), 32, duplicate=True, copy=copy)
    assert narrow[0] == Row("重打印 / DUPLICATE", bold=True, width=1, height=2, align="center")
    wide = layout(receipt_from_document(DOCUMENTS[kind], STORE), 48, duplicate=True, copy=copy)
    assert wide[0] == Row("重打印 / DUPLICATE", bold=True, width=2, height=2, align="center")
    assert not any("DUPLICATE" in row.text for row in layout(receipt_from_document(DOCUMENTS[kind], STORE), 48))


def test_headings_are_double_size_when_they_fit_and_never_split_between_languages():
    for columns in (24, 32, 48):
        rows = layout(receipt_from_document(NOT_PAID, STORE), columns)
        heading = next(row for row in rows if "PAID" in row.text)
        assert heading.text == "未付款 / NOT PAID" and heading.bold and heading.height == 2
        assert heading.width == (2 if columns >= 34 else 1)
        assert heading.cells <= columns
    name = layout(receipt_from_document(SALE, Store(name="A very long shop name for the sign")), 32)[0]
    assert (name.width, name.height, name.text) == (1, 2, "A very long shop name for the")


def test_the_not_paid_slip():
    paper = flat(NOT_PAID)
    for expected in ["未付款 / NOT PAID", "本凭条作废原小票 This slip cancels receipt S-0001-000042", "CNY 58.00",
                     "411111******1111", "2024-05-01 14:03:22", "000042",
                     "交易未成功，未扣款 The payment did not go through", "案件号 CASE", "C-7",
                     "如有疑问请联系 Questions? Call 0755-12345678"]:
        assert expected in paper, expected


def test_the_void_slip_shows_the_amount_going_back():
    paper = flat(VOID)
    for expected in ["交易撤销 / VOID", "原凭证号 ORIGINAL STAN", "撤销金额 VOID AMOUNT", "-CNY 58.00", "A12345",
                     "412206000042", "C-7", "goes back to the card", "This slip cancels receipt S-0001-000042"]:
        assert expected in paper, expected


def test_the_contact_slip_puts_the_shop_first():
    paper = flat(CONTACT)
    for expected in ["小店 Corner Shop", "深圳市南山区科技园", "如有疑问请联系 Questions? Call 0755-12345678", "C-7",
                     "CNY 58.00", "2024-05-01 14:03:22", "备注 NOTE: 顾客下午再来付款 Customer will come back"]:
        assert expected in paper, expected
    assert paper.index("Questions? Call") < paper.index("案件号 CASE")


@pytest.mark.parametrize("kind", ["not_paid", "void", "contact"])
@pytest.mark.parametrize("duplicate", [False, True])
def test_only_an_approved_sale_says_paid(kind, duplicate):
    paper = text(DOCUMENTS[kind], duplicate=duplicate).replace("NOT PAID", "").replace("未成功", "")
    for word in ("APPROVED", "PAID", "成功", "已付"):
        assert word not in paper.upper()
    assert "[qr:" not in paper and "谢谢惠顾" not in paper


def test_a_shop_without_phone_or_ids_leaves_those_rows_out():
    receipt = receipt_from_document(NOT_PAID, Store(name="Shop"))
    paper = receipt_text(receipt)
    assert "TEL" not in paper and "TERMINAL" not in paper and "Questions?" not in paper and "[qr:" not in paper


def test_till_text_cannot_smuggle_printer_commands():
    receipt = receipt_from_document({**SALE, "reference": "A\x1b@\x1dV\x00B"}, STORE)
    assert "A?@?V?B" in receipt_text(receipt)
    assert "\x1b" not in receipt_text(receipt) and "\x1d" not in receipt_text(receipt)


@pytest.mark.parametrize(("options", "match"), [
    ({"columns": 23}, "columns must be a whole number 24..128, got 23"),
    ({"columns": 129}, "columns must be a whole number"),
    ({"columns": 48.0}, "columns must be a whole number"),
    ({"copy": "bank"}, "copy 'bank' is not one of customer, merchant"),
])
def test_bad_options_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        layout(receipt_from_document(SALE, STORE), **options)
