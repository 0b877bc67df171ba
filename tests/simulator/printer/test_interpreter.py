"""The interpreter command by command: what each one puts on paper, and what a broken one costs."""

from __future__ import annotations

import pytest

from drivers.errors import LocalProtocolError
from simulator.printer.document import Align, Cut, Graphic, StatusRequest, Style
from simulator.printer.interpreter import Interpreter, render

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"


def texts(data: bytes, **options) -> list[str]:
    return [line.text for line in render(data, **options).lines]


# --- lines -------------------------------------------------------------------------------------------

def test_lf_prints_the_line_and_an_empty_buffer_prints_a_blank_line():
    assert texts(b"one\ntwo\n\nthree\n") == ["one", "two", "", "three"]


def test_cr_lf_is_one_line_end_and_a_lone_cr_still_ends_a_line():
    assert texts(b"one\r\ntwo\r\n\r\nthree\rfour\n") == ["one", "two", "", "three", "four"]


def test_text_without_a_final_line_feed_is_unfinished():
    document = render(b"paid\nnot yet printed")
    assert [(line.text, line.unfinished) for line in document.lines] == [("paid", False), ("not yet printed", True)]


def test_esc_at_clears_the_line_buffer_and_every_mode():
    document = render(ESC + b"E\x01" + ESC + b"a\x01lost" + ESC + b"@kept\n")
    [line] = document.lines
    assert (line.text, line.align, line.spans[0].style) == ("kept", Align.LEFT, Style())


def test_esc_d_prints_and_feeds_n_lines():
    assert texts(b"a" + ESC + b"d\x03b\n" + ESC + b"d\x00c" + ESC + b"d\x00") == ["a", "", "", "b", "c"]


def test_esc_j_feeds_by_dots_at_the_current_line_spacing():
    assert texts(ESC + b"J\x3c" + b"a" + ESC + b"J\x3c" + ESC + b"3\x0a" + ESC + b"J\x14") == ["", "", "a", "", "", ""]


def test_tab_moves_to_the_next_stop_and_esc_d_sets_the_stops():
    assert texts(b"ab\tc\n" + ESC + b"D\x04\x0a\x00" + b"a\tb\tc\td\n") == ["ab      c", "a   b     cd"]


def test_columns_wrap_long_lines_counting_double_width_and_cjk_as_two():
    assert texts(b"abcdefgh\n", columns=5) == ["abcde", "fgh"]
    assert texts(GS + b"!\x10abcd\n", columns=5) == ["ab", "cd"]
    assert texts(FS + b"&" + "收银台".encode("gb18030") + b"\n", columns=5) == ["收银", "台"]


# --- styles and alignment ----------------------------------------------------------------------------

def test_styles_split_a_line_into_spans():
    data = b"Total " + ESC + b"E\x01" + GS + b"!\x11" + b"12.50" + ESC + b"E\x00" + GS + b"!\x00" + b"!\n"
    line = render(data).lines[0]
    assert [(span.text, span.style) for span in line.spans] == [
        ("Total ", Style()), ("12.50", Style(bold=True, width=2, height=2)), ("!", Style())]
    assert line.styled(bold=True) == "12.50"


def test_esc_bang_sets_bold_underline_and_size_together():
    style = render(ESC + b"!\xb8x\n").lines[0].spans[0].style
    assert style == Style(bold=True, underline=1, width=2, height=2)
    assert render(ESC + b"-\x02" + GS + b"B\x01x\n").lines[0].spans[0].style == Style(underline=2, inverted=True)


def test_alignment_is_taken_at_the_start_of_a_line_and_ignored_mid_line():
    document = render(ESC + b"a\x01centre" + ESC + b"a\x02still centre\nleft again?\n" + ESC + b"a2right\n")
    assert [(line.text, line.align) for line in document.lines] == [
        ("centrestill centre", Align.CENTER), ("left again?", Align.CENTER), ("right", Align.RIGHT)]


def test_document_text_places_aligned_lines_in_the_given_columns():
    document = render(ESC + b"a\x01" + b"mid\n" + ESC + b"a\x02" + GS + b"!\x10" + b"R\n" + GS + b"V\x00")
    assert document.text(columns=9) == "   mid\n       R\n" + "- - - - - - - - cut - - - - - - - -\n"


# --- cuts --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("command", "partial"), [
    (GS + b"V\x00", False), (GS + b"V0", False), (GS + b"V\x01", True), (GS + b"V1", True),
    (GS + b"VA\x03", False), (GS + b"VB\x00", True), (ESC + b"i", True), (ESC + b"m", True),
])
def test_cuts(command, partial):
    assert render(b"receipt\n" + command).items[-1] == Cut(partial)


def test_a_cut_mid_line_is_ignored_as_on_an_epson():
    assert render(b"no line feed" + GS + b"V\x00").cuts == []


# --- Chinese and code pages --------------------------------------------------------------------------

def test_fs_ampersand_reads_gb18030_and_fs_dot_returns_to_the_code_page():
    data = FS + b"&" + "消费 ¥12.50 𠀀".encode("gb18030") + b"\n" + FS + b"." + b"\x82\n"
    assert texts(data) == ["消费 ¥12.50 𠀀", "é"]


def test_printers_sold_in_china_start_in_chinese_mode_and_esc_at_returns_to_it():
    data = "刷卡".encode("gb18030") + b"\n" + FS + b"." + ESC + b"@" + "成功".encode("gb18030") + b"\n"
    assert texts(data, chinese=True) == ["刷卡", "成功"]
    assert texts("刷卡\n".encode("gb18030")) == ["╦ó┐¿"]  # the same bytes on a CP437 printer


def test_a_broken_double_byte_character_costs_only_its_lead_byte():
    assert texts(FS + b"&\xd6 ok\xd6\n\xd61\xd6") == ["\ufffd ok\ufffd", "\ufffd1\ufffd"]
    assert texts(FS + b"&\xd6ok\n") == ["謔k"]  # 0x40..0x7E are trail bytes: a printer pairs them too


@pytest.mark.parametrize(("page", "byte", "char"), [
    (0, 0x82, "é"), (2, 0x9B, "ø"), (16, 0x80, "€"), (17, 0x80, "А"), (18, 0xFB, "ű"), (1, 0xB1, "ｱ"),
    (30, 0xD5, "\ufffd"),  # TCVN-3: no Python codec
])
def test_esc_t_selects_the_code_page(page, byte, char):
    assert texts(ESC + b"t" + bytes((page, byte)) + b"\n") == [char]


# --- status requests ---------------------------------------------------------------------------------

def test_status_requests_are_events_in_stream_order():
    interpreter = Interpreter()
    interpreter.feed(b"a\n" + DLE + b"\x04\x01" + b"b\n" + DLE + b"\x04\x04" + DLE + b"\x04\x07\x01" + GS + b"r\x01")
    events = list(interpreter.events())
    assert [type(event).__name__ for event in events] == ["Line", "StatusRequest", "Line", "StatusRequest",
                                                          "StatusRequest", "StatusRequest"]
    assert events[1] == StatusRequest("DLE EOT", 1) and events[1].realtime
    assert events[4] == StatusRequest("DLE EOT", 7, 1)
    assert events[5] == StatusRequest("GS r", 1) and not events[5].realtime


def test_a_status_request_is_answered_without_waiting_for_close():
    interpreter = Interpreter()
    interpreter.feed(DLE + b"\x04")
    assert interpreter.next_event() is None
    interpreter.feed(b"\x02")
    assert interpreter.next_event() == StatusRequest("DLE EOT", 2)


# --- pictures and codes ------------------------------------------------------------------------------

def test_raster_image_data_is_skipped_by_its_length_even_when_it_looks_like_commands():
    picture = (b"\n\x1b@\x1dV\x00" * 4)[:2 * 8]  # 2 bytes wide, 8 rows
    document = render(b"top\n" + GS + b"v0\x00\x02\x00\x08\x00" + picture + b"bottom\n")
    assert [line.text for line in document.lines] == ["top", "[image]", "bottom"]
    assert document.cuts == [] and document.dropped == 0


def test_column_image_stripes_print_as_one_image():
    stripe = ESC + b"*\x21\x02\x00" + b"\x0a" * 6 + b"\n"
    assert texts(ESC + b"3\x18" + stripe * 3 + ESC + b"2" + b"after\n") == ["[image]", "after"]


def test_graphics_print_only_when_told_to():
    store = GS + b"(L\x0c\x000p0\x01\x011\x08\x00\x02\x00" + b"\xff\xff"
    assert texts(store + b"x\n") == ["x"]
    assert texts(store + GS + b"(L\x02\x0002" + b"x\n") == ["[image]", "x"]


def test_barcodes_show_their_data_and_symbology():
    document = render(GS + b"k\x024006381333931\x00" + GS + b"kI\x08{C\x0c\x22\x38{B!" + GS + b"kE\x03ABC")
    assert [(g.symbology, g.data) for g in document.graphics] == [
        ("EAN13", "4006381333931"), ("CODE128", "123456!"), ("CODE39", "ABC")]


def test_a_barcode_header_whose_data_does_not_fit_is_a_stray_gs():
    assert texts(GS + b"kC\x0512a45\n") == ["kC12a45"]


def test_qr_codes_show_their_data_and_print_with_the_alignment():
    data = "https://例子.cn/r?id=1".encode()
    store = GS + b"(k" + (len(data) + 3).to_bytes(2, "little") + b"1P0" + data
    document = render(ESC + b"a\x01" + store + GS + b"(k\x03\x001Q0" + b"caption\n")
    assert document.lines[0].spans == (Graphic("qr", "https://例子.cn/r?id=1"),)
    assert document.lines[0].align is Align.CENTER and document.lines[1].text == "caption"


def test_pdf417_and_printing_without_stored_data():
    assert texts(GS + b"(k\x03\x001Q0" + GS + b"(k\x06\x000P0abc" + GS + b"(k\x03\x000Q0") == ["[pdf417:abc]"]


# --- stray bytes and misuse --------------------------------------------------------------------------

def test_stray_control_bytes_cost_only_themselves():
    document = render(b"To\x00t\x07al\x7f 12.50\x1f\n")
    assert [line.text for line in document.lines] == ["Total 12.50"] and document.dropped == 4


@pytest.mark.parametrize("stray", [ESC + b"N", ESC + b"a\x07", GS + b"Z", FS + b"x", DLE + b"x", ESC + b"t\xc8"])
def test_an_introducer_that_starts_no_command_costs_only_itself(stray):
    document = render(b"Total" + stray + b" 12.50\n")
    assert document.lines[0].text == "Total" + stray[1:].decode("cp437").replace("\x07", "") + " 12.50"


def test_a_command_cut_short_at_the_end_is_dropped():
    document = render(b"done\n" + GS + b"(k\x20\x001P0trunc")
    assert [line.text for line in document.lines] == ["done", "(k 1P0trunc"]
    assert document.lines[1].unfinished


def test_misuse_raises_local_protocol_errors():
    interpreter = Interpreter()
    with pytest.raises(LocalProtocolError):
        interpreter.feed("text")  # type: ignore[arg-type]
    interpreter.close()
    with pytest.raises(LocalProtocolError):
        interpreter.feed(b"more")
    with pytest.raises(LocalProtocolError):
        Interpreter(columns=0)
