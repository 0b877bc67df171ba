"""Properties over generated streams: random bytes never raise, chunking never matters, and a well-formed
command of any kind, however much data it carries, never eats the text around it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.printer.commands import FIXED
from simulator.printer.document import Document, Graphic, Line
from simulator.printer.interpreter import Interpreter, render
from tests.simulator.printer.helpers import FIXTURES, fixture, fixture_names, render_in_chunks

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"

# Pieces that make random streams hit the grammar's corners: every introducer and key, partial headers.
FRAGMENTS = [ESC, GS, FS, DLE, b"\n", b"\r", b"\t", b"\x00", *FIXED, GS + b"(k", GS + b"(L", GS + b"8L",
             GS + b"v0", GS + b"k", GS + b"V", ESC + b"*", ESC + b"D", ESC + b"&", FS + b"q", FS + b"g1",
             DLE + b"\x04", DLE + b"\x14", GS + b"(k\x03\x001Q0", GS + b"(L\x02\x0002", FS + b"&", FS + b"."]
noisy = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=6),
                           st.text(max_size=6).map(lambda text: text.encode("gb18030"))),
                 max_size=120).map(b"".join)
streams = st.one_of(st.binary(max_size=2048), noisy)


def assert_sane(document: Document) -> None:
    """Only characters a printer draws: no control characters, no private-use or unassigned code points."""
    for line in document.lines:
        for span in line.spans:
            assert span.text
            if not isinstance(span, Graphic):
                assert not {unicodedata.category(char) for char in span.text} & {"Cc", "Co", "Cn", "Cs"}


@given(streams, st.booleans(), st.sampled_from([None, 1, 32, 48]))
def test_random_bytes_never_raise(data, chinese, columns):
    document = render(data, chinese=chinese, columns=columns)
    assert_sane(document)
    if columns:  # wrapped at the paper's width, unless one character alone is wider than the paper
        for line in document.lines:
            text = [span for span in line.spans if not isinstance(span, Graphic)]
            assert sum(span.cells for span in text) <= columns or len("".join(span.text for span in text)) == 1


@given(streams, st.booleans(), st.data())
def test_any_split_gives_the_same_document(data, chinese, draw):
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=12))
    assert render_in_chunks(data, cuts, chinese=chinese) == render(data, chinese=chinese)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared ESC/POS fixtures not found at {FIXTURES.resolve()}")
@given(st.sampled_from(fixture_names() or ["none"]), st.data())
def test_any_split_of_a_real_receipt_gives_the_same_document(name, draw):
    data = fixture(name)
    cuts = draw.draw(st.lists(st.integers(0, len(data)), max_size=40))
    assert render_in_chunks(data, cuts) == render(data)


def test_events_can_be_read_while_feeding():
    interpreter = Interpreter()
    interpreter.feed(b"one\ntw")
    assert interpreter.next_event() == Line(tuple(render(b"one\n").lines[0].spans))
    assert interpreter.next_event() is None
    interpreter.feed(b"o\n")
    assert [event.text for event in interpreter.events()] == ["two"]


# --- well-formed commands between lines of text --------------------------------------------------------

def _u16(value: int) -> bytes:
    return value.to_bytes(2, "little")


def _fixed(key: bytes, args: bytes) -> bytes:
    return key + args


@st.composite
def fixed_command(draw) -> bytes:
    key = draw(st.sampled_from(sorted(FIXED)))
    count, allowed = FIXED[key]
    args = draw(st.binary(min_size=count, max_size=count))
    if count and allowed is not None:
        args = bytes((draw(st.sampled_from(sorted(allowed))),)) + args[1:]
    return key + args


@st.composite
def picture(draw) -> bytes:
    width, height = draw(st.integers(1, 8)), draw(st.integers(1, 12))
    dots = draw(st.binary(min_size=width * height * 3, max_size=width * height * 3))
    kind = draw(st.sampled_from(["raster", "column", "store", "store-wide", "download", "nv"]))
    if kind == "raster":
        return GS + b"v0" + bytes((draw(st.sampled_from([0, 1, 2, 3, 48, 51])),)) + _u16(width) + _u16(height) \
            + dots[:width * height]
    if kind == "column":
        mode = draw(st.sampled_from([0, 1, 32, 33]))
        return ESC + b"*" + bytes((mode,)) + _u16(width) + dots[:width * (3 if mode >= 32 else 1)] + b"\n"
    if kind in ("store", "store-wide"):
        data = dots[:(width * 8 + 7) // 8 * height]
        body = b"0p0\x01\x011" + _u16(width * 8) + _u16(height) + data
        size = _u16(len(body)) if kind == "store" else len(body).to_bytes(4, "little")
        return GS + (b"(L" if kind == "store" else b"8L") + size + body + GS + b"(L\x02\x0002"
    if kind == "download":
        return GS + b"*" + bytes((width, height)) + (dots * 3)[:width * height * 8] + GS + b"/\x00"
    count = draw(st.integers(1, 2))
    images = b"".join(_u16(width) + _u16(height) + (dots * 3)[:width * height * 8] for _ in range(count))
    return FS + b"q" + bytes((count,)) + images + FS + b"p\x01\x00"


CHARSETS = {2: "0123456789", 4: "0123456789ABC -$", 6: "A0123$:B", 67: "0123456789", 69: "XYZ 90%",
            73: "{BAb01!~", 72: "hello world"}


@st.composite
def code(draw) -> bytes:
    if draw(st.booleans()):
        symbology = draw(st.sampled_from(sorted(CHARSETS)))
        data = draw(st.text(CHARSETS[symbology], min_size=1, max_size=40)).encode()
        if symbology < 65:
            return GS + b"k" + bytes((symbology,)) + data + b"\x00"
        return GS + b"k" + bytes((symbology, len(data))) + data
    symbol = draw(st.sampled_from(b"0123456"))
    data = draw(st.binary(min_size=1, max_size=300))
    return GS + b"(k" + _u16(len(data) + 3) + bytes((symbol,)) + b"P0" + data + GS + b"(k\x03\x00" \
        + bytes((symbol,)) + b"Q0"


@st.composite
def other(draw) -> bytes:
    kind = draw(st.sampled_from(["paren", "status", "dc4", "tabs", "udc", "memory", "counter", "cut"]))
    if kind == "paren":
        prefix = draw(st.sampled_from([ESC + b"(A", ESC + b"(Y", FS + b"(A", FS + b"(C", FS + b"(e", GS + b"(A",
                                       GS + b"(C", GS + b"(E", GS + b"(H", GS + b"(K", GS + b"(z"]))
        data = draw(st.binary(max_size=64))
        return prefix + _u16(len(data)) + data
    if kind == "status":
        return DLE + b"\x04" + draw(st.sampled_from([b"\x01", b"\x02", b"\x03", b"\x04", b"\x07\x01", b"\x08\x03"]))
    if kind == "dc4":
        return DLE + b"\x14" + draw(st.sampled_from([b"\x01\x00\x01", b"\x02\x01\x08", b"\x03" + bytes(5),
                                                      b"\x07\x01", b"\x08\x01\x03\x14\x01\x06\x02\x08"]))
    if kind == "tabs":
        stops = sorted(draw(st.sets(st.integers(1, 255), max_size=32)))
        return ESC + b"D" + bytes(stops) + b"\x00"
    if kind == "udc":
        first = draw(st.integers(32, 126))
        last = draw(st.integers(first, min(first + 3, 126)))
        glyphs = b"".join(bytes((width,)) + bytes(3 * width) for width in draw(
            st.lists(st.integers(0, 12), min_size=last - first + 1, max_size=last - first + 1)))
        return ESC + b"&\x03" + bytes((first, last)) + glyphs
    if kind == "memory":
        data = draw(st.binary(max_size=40))
        return FS + b"g1\x30\x00\x00\x00\x00" + _u16(len(data)) + data + FS + b"g2\x30\x00\x00\x00\x00\x10\x00"
    if kind == "counter":
        return GS + b"C" + draw(st.sampled_from([b"0\x05\x00", b"1\x01\x00\xff\x00\x01\x00", b"2\x01\x00"]))
    return GS + b"V" + draw(st.sampled_from([b"\x00", b"1", b"A\x10", b"h\x00"]))


commands_between_lines = st.one_of(fixed_command(), picture(), code(), other())
words = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


@given(st.lists(st.tuples(words, st.lists(commands_between_lines, max_size=3)), min_size=1, max_size=12))
def test_well_formed_commands_never_eat_the_text_around_them(receipt):
    data = b"".join(text.encode() + b"\n" + b"".join(command) for text, command in receipt)
    document = render(data)
    printed = [line.text for line in document.lines if line.text and not line.graphics]
    assert printed == [text for text, _ in receipt]
    assert document.dropped == 0
