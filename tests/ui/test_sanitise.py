"""Nothing from a device, the acquirer or a person reaches the terminal as an escape sequence or a control
character."""

import string

from hypothesis import example, given
from hypothesis import strategies as st

from agent.ui.sanitise import sanitise

ESC = "\x1b"
# Text as it comes off a serial line or a socket: printable characters mixed with escape sequences' pieces.
pieces = st.sampled_from(["\x1b", "[", "]", "\x07", "\x9b", "\x9d", "\x90", "\x9c", "\\", "0;", "31m", "2J", "P",
                          "\r", "\n", "\t", "\x00", "\x7f", "\x85", "\u202e", "\u200b", "张三", "[bold]", "[/]"])
texts = st.one_of(st.text(), st.lists(st.one_of(pieces, st.text(max_size=3))).map("".join))


def forbidden(char: str) -> bool:
    code = ord(char)
    return char != "\n" and (code < 0x20 or 0x7F <= code <= 0x9F)


@given(texts)
@example("\x1b]0;title\x07visible")
@example("\x1b[")
@example("\x9b\x9b")
def test_no_escape_or_control_character_survives(text):
    shown = sanitise(text)
    assert ESC not in shown
    assert not any(forbidden(char) for char in shown)
    one_line = sanitise(text, single_line=True)
    assert "\n" not in one_line and not any(forbidden(char) for char in one_line)


@given(texts)
def test_sanitising_twice_changes_nothing_more(text):
    assert sanitise(sanitise(text)) == sanitise(text)


@given(st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x1b\u2028\u2029"
                                                                                                  "\x85\xa0")))
def test_ordinary_text_is_left_as_it_is(text):
    assert sanitise(text) == text


def test_whole_sequences_go_not_just_their_escape_character():
    assert sanitise("\x1b[31;1mred\x1b[0m") == "red"
    assert sanitise("a\x1b]0;window title\x07b") == "ab"
    assert sanitise("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert sanitise("a\x1bPq#0;2;0;0;0\x1b\\b") == "ab"  # DCS (sixel) with its payload
    assert sanitise("a\x9b2Jb") == "ab"  # the 8-bit CSI
    assert sanitise("over\rwrite") == "over\nwrite" and sanitise("over\rwrite", single_line=True) == "over write"
    assert sanitise("138\u202e0008") == "1380008"  # a direction override would show the digits reversed
    assert sanitise("[bold]张三[/bold]") == "[bold]张三[/bold]"  # markup is not ours to strip: it is never parsed
    assert sanitise(None) == "" and sanitise(42) == "42"
    assert set(string.printable) - set(string.whitespace) <= set(sanitise(string.printable))
