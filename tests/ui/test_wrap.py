"""Chinese and Latin text broken into lines as Chinese print breaks them: no line starts with closing
punctuation or ends with opening punctuation, none is wider than the screen, and nothing is lost but the
spaces the breaks fell on."""

import re

from hypothesis import example, given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from agent.ui.wrap import NO_END, NO_START, Wrapped, lines, wrap

STEP = "向顾客致歉并说明：付款请求已发出，但银行没有回复，暂时无法确认是否扣款。"

hanzi = st.sampled_from("款银行顾客刷卡扣确认")
closing = st.sampled_from("。，、；：？！）」》”")
opening = st.sampled_from("（「《“")
latin = st.text(alphabet="abcxyz0123456789.-", min_size=1, max_size=8)
token = st.one_of(hanzi, st.tuples(hanzi, closing).map("".join), st.tuples(opening, hanzi).map("".join),
                  latin, st.just(" "))


@example("000000000000.", 12)  # a word wider than the line, its full stop at the edge
@example("款。 .0000000", 12)  # a word that itself starts with a full stop, after a space: the break is the text's
@given(st.lists(token, max_size=60).map("".join), st.integers(min_value=12, max_value=80))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text, width):
    """Unless the text itself put a space there: then the break falls on that space, as in any Latin text."""
    spans = lines(text, width)
    shown = [text[start:end] for start, end in spans]
    assert shown == wrap(text, width)
    assert all(cell_len(line) <= width for line in shown)
    assert not any(start < end and text[start] in NO_START and not text[start - 1].isspace()
                   for start, end in spans[1:])
    assert not any(start < end and text[end - 1] in NO_END and end < len(text) and not text[end].isspace()
                   for start, end in spans[:-1])
    assert re.sub(r"\s", "", "".join(shown)) == re.sub(r"\s", "", text)


def test_the_full_stop_goes_down_with_the_character_before_it():
    assert wrap(STEP, 70) == ["向顾客致歉并说明：付款请求已发出，但银行没有回复，暂时无法确认是否扣", "款。"]
    assert wrap(STEP, 72) == [STEP]
    assert wrap("卡号 411111******1111，凭证号 000003。", 19) == ["卡号", "411111******1111，", "凭证号 000003。"]


def test_latin_text_breaks_at_spaces_and_a_word_too_long_is_folded():
    assert wrap("Do not swipe again, and do not ask", 16) == ["Do not swipe", "again, and do", "not ask"]
    assert wrap("abcdefghij klm", 4) == ["abcd", "efgh", "ij", "klm"]
    assert wrap("一\n\n二", 10) == ["一", "", "二"]


def test_a_wrapped_text_keeps_its_styles_at_the_width_it_is_drawn():
    text = Text("金额 ")
    text.append("CNY 30.00", style="bold")
    text.append("，请勿重复刷卡。")
    console = Console(width=14, record=True, color_system=None)
    console.print(Wrapped(text))
    assert console.export_text().splitlines() == ["金额 CNY", "30.00，请勿重", "复刷卡。"]
    segments = list(console.render(Wrapped(text)))
    assert any(segment.text == "CNY" and segment.style and segment.style.bold for segment in segments)
