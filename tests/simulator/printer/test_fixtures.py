"""Real printer streams written by other projects (../shared/fixtures/escpos) read back as their text.

Every fixture must render with no byte left unexplained (`dropped == 0`: every command in it is one the
grammar knows), show the text a person sees on the paper, and give the same document fed a byte at a
time. Random noise spliced into a fixture must not cost the text away from it.
"""

from __future__ import annotations

import random

import pytest

from simulator.printer.document import Align, Document, Line
from simulator.printer.interpreter import render
from tests.simulator.printer.helpers import FIXTURES, fixture, fixture_names, render_in_chunks

# What a person reads on each receipt, in paper order (each string is found inside one line).
EXPECTED = {
    "escpos-php-receipt-with-logo.bin": [
        "[image]", "ExampleMart Ltd.", "Shop No. 42.", "SALES INVOICE",
        "Example item #1                             4.00", "Another thing                               3.50",
        "Something else                              1.00", "A final item                                4.45",
        "Subtotal                                   12.95", "A local tax                                 1.30",
        "Total            $ 14.25", "Thank you for shopping at ExampleMart",
        "For trading hours, please visit example.com", "Monday 6th of April 2015 02:56:25 PM",
    ],
    "escpos-php-text-size.bin": [
        "Change height & width", "12345678", "Change width only (height=4):", "Change height only (width=4):",
        "Very narrow text:", "The quick brown fox jumps over the lazy dog.", "Very wide text:", "Hello world!",
        "Largest possible text:", "Hello", "world!",
    ],
    "escpos-php-character-encodings.bin": [
        "Implemented languages",
        "Quizdeltagerne spiste jordbær med fløde, mens cirkusklovnen Wolther spillede på xylofon.",
        "Falsches Üben von Xylophonmusik quält jeden größeren Zwerg.",
        "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία",
        "The quick brown fox jumps over the lazy dog.",
        "El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia y frío, añoraba a su querido cachorro.",
        "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë",
        "Árvíztűrő tükörfúrógép.",
        "Kæmi ný öxi hér ykist þjófum nú bæði víl og ádrepa.",
        "Glāžšķūņa rūķīši dzērumā čiepj Baha koncertflīģeļu vākus.",
        "Pchnąć w tę łódź jeża lub ośm skrzyń fig.",
        "В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!",
        "Pijamalı hasta, yağız şoföre çabucak güvendi.",
        "ｲﾛﾊﾆﾎﾍﾄ ﾁﾘﾇﾙｦ ﾜｶﾖﾀﾚｿ ﾂﾈﾅﾗﾑ",
        "Vietnamese:", "Ti\ufffdng Vi\ufffdt",  # TCVN-3 has no Python codec: ASCII survives, the rest is U+FFFD
        "นายสังฆภัณฑ์ เฮงพิทักษ์ฝั่ง",
        "صِف خَلقَ خَودِ كَمِثلِ الشَمسِ",
        "דג סקרן שט בים מאוכזב ולפתע מצא לו חברה",
    ],
    "escpos-php-qr-code.bin": [
        "QR code demo", "[qr:Testing 123]", "Most simple example", "[qr:Testing 123]", "Same example, centred",
        "[qr:0123456789012345678901234567890123456789]", "Numeric",
        "[qr:abcdefghijklmnopqrstuvwxyzabcdefghijklmn]", "Alphanumeric",
        "[qr:" + "\\x00" * 40 + "]", "Binary", "Error correction H", "Pixel size 16 (maximum)",
        "Micro QR code", "(not supported on all printers)",
    ],
    "escpos-php-barcode.bin": [
        "Height and bar width", "Default look", "[barcode:ABC]", "Width 8", "[barcode:ABC]",
        "No text", "[barcode:012345678901]", "Content: 01234567890", "[barcode:01234567890]",
        "Content: 123456", "[barcode:123456]", "Content: 0123456789012", "[barcode:0123456789012]",
        "Content: $%+-./", "[barcode:$%+-./]", "Content: *TEXT*", "[barcode:*TEXT*]",
        "Content: A012$+-./:A", "[barcode:A012$+-./:A]", "Content: 012abcd", "[barcode:012abcd]",
        "Content: {A012ABCD", "[barcode:012ABCD]", "Content: {B012ABCDabcd", "[barcode:012ABCDabcd]",
        "Code set C compact numbers", "[barcode:213243]",
    ],
    "escpos-php-margins-and-spacing.bin": [
        "Left margin", "Default left", "left margin 1", "left margin 512", "Page width", "Default width",
        "page width 512", "page width 64",
    ],
    "escpos-php-demo.bin": [
        "Hello world", "ABC", "DEF", "GHI", "ABCDEFGHIJabcdefghijk", "The quick brown fox jumps over the lazy dog",
        "Partial cut", "(not available on all printers)", "Full cut", "A man a plan a canal panama",
        "[barcode:9876]", "[image]", "[qr:Testing 123]", "QR Model 1", "Micro QR code",
    ],
}
EXPECTED["python-escpos-barcode.bin"] = EXPECTED["escpos-php-barcode.bin"]


def assert_in_order(lines: list[Line], expected: list[str]) -> None:
    texts, at = [line.text for line in lines], 0
    for wanted in expected:
        found = next((index for index in range(at, len(texts)) if wanted in texts[index]), None)
        assert found is not None, f"{wanted!r} not found after line {at}: {texts[at:at + 5]}"
        at = found + (0 if wanted.startswith("[") else 1)  # a code's caption may share nothing with it


def line_with(document: Document, text: str) -> Line:
    return next(line for line in document.lines if text in line.text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_renders_its_visible_text_with_nothing_unexplained(name):
    document = render(fixture(name))
    assert document.dropped == 0
    assert_in_order(document.lines, EXPECTED[name])
    assert not any(line.unfinished for line in document.lines)


def test_no_fixture_is_left_without_expectations():
    if not FIXTURES.is_dir():
        pytest.skip(f"shared ESC/POS fixtures not found at {FIXTURES.resolve()}")
    assert set(fixture_names()) <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_byte_at_a_time_gives_the_same_document(name):
    data = fixture(name)
    assert render_in_chunks(data, list(range(len(data)))) == render(data)


def test_receipt_with_logo_keeps_styles_alignment_and_cut():
    document = render(fixture("escpos-php-receipt-with-logo.bin"))
    logo = document.lines[0]
    assert logo.text == "[image]" and logo.align is Align.CENTER
    shop = line_with(document, "ExampleMart Ltd.")
    assert shop.align is Align.CENTER and shop.spans[0].style.width == 2
    assert line_with(document, "SALES INVOICE").styled(bold=True) == "SALES INVOICE"
    assert line_with(document, "Example item #1").align is Align.LEFT
    assert line_with(document, "Subtotal").styled(bold=True).startswith("Subtotal")
    assert line_with(document, "Thank you for shopping").align is Align.CENTER
    assert document.items[-1] == document.cuts[0] and len(document.cuts) == 1
    assert not document.cuts[0].partial
    assert "        ExampleMart Ltd." in document.text(columns=48)  # double width: 32 cells centred in 48


def test_text_size_shows_every_magnification():
    document = render(fixture("escpos-php-text-size.bin"))
    both = next(line for line in document.lines if line.text == "12345678")
    assert [(span.style.width, span.style.height) for span in both.spans] == [(n, n) for n in range(1, 9)]
    largest = next(line for line in document.lines if line.text == "Hello")
    assert (largest.spans[0].style.width, largest.spans[0].style.height) == (8, 8)


def test_demo_styles_alignments_images_and_cuts():
    document = render(fixture("escpos-php-demo.bin"))
    panama = [line.align for line in document.lines if line.text == "A man a plan a canal panama"]
    assert panama == [Align.LEFT, Align.CENTER, Align.RIGHT]
    fox = [line for line in document.lines if line.text == "The quick brown fox jumps over the lazy dog"]
    assert [line.spans[0].style.underline for line in fox[:3]] == [0, 1, 2]
    assert [line.spans[0].style.bold for line in fox[3:5]] == [False, True]
    modes = [line.spans[0].style for line in document.lines if line.text == "ABCDEFGHIJabcdefghijk"]
    assert (modes[1].underline, modes[2].width, modes[4].height, modes[8].bold) == (1, 2, 2, True)
    assert len([g for g in document.graphics if g.kind == "image"]) == 8  # 4 GS ( L and 4 GS v 0
    assert [cut.partial for cut in document.cuts].count(True) == 1
    abc = [line.text for line in document.lines]
    assert abc[abc.index("ABC") + 1:abc.index("DEF")] == [""] * 6  # ESC d 7 after ABC: six blank lines


def test_barcode_fixture_shows_every_barcode_with_its_symbology():
    data = fixture("escpos-php-barcode.bin")
    barcodes = render(data).graphics
    assert len(barcodes) == data.count(b"\x1dk")
    assert {g.symbology for g in barcodes} == {"UPC-A", "UPC-E", "EAN13", "EAN8", "CODE39", "ITF", "CODABAR",
                                                "CODE93", "CODE128"}


def test_qr_fixture_centres_the_second_code():
    document = render(fixture("escpos-php-qr-code.bin"))
    codes = [line for line in document.lines if line.graphics]
    assert codes[0].align is Align.LEFT and codes[1].align is Align.CENTER


# --- noise spliced into real receipts ------------------------------------------------------------------

SLACK = 300  # bytes after the noise a forged command may still legitimately take (ESC D, a barcode's data)


def _landmarks(data: bytes, document: Document) -> list[tuple[int, str]]:
    """ASCII lines that occur once in the bytes, verbatim, with their offset: text we can place."""
    marks = []
    for line in document.lines:
        text = line.text
        if len(text) >= 8 and text.isascii() and not text.startswith("["):
            raw = text.encode()
            if data.count(raw) == 1:
                marks.append((data.find(raw), text))
    return marks


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_noise_spliced_anywhere_costs_only_the_text_near_it(name):
    data = fixture(name)
    marks = _landmarks(data, render(data))
    rng = random.Random(name)
    for _ in range(40):
        at = rng.randrange(len(data) + 1)
        noise = rng.randbytes(rng.randint(1, 16))
        texts = "\n".join(line.text for line in render(data[:at] + noise + data[at:]).lines)
        for offset, text in marks:
            printed_before = data.find(b"\n", offset + len(text)) < at
            if printed_before or offset >= at + SLACK:
                assert text in texts, f"{text!r} lost to {noise!r} at byte {at}"
