"""docs/protocols/printer.md says what the code does: its status table, its URLs and its sample receipt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.printer.layout import receipt_text
from drivers.printer.port import open_port
from drivers.printer.receipt import receipt_from_document
from drivers.printer.render import render
from drivers.printer.status import BITS, parse_reply, request
from tests.drivers.printer.samples import SALE, STORE

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocols" / "printer.md"
MEANINGS = {"offline": "OFFLINE", "cover open": "COVER_OPEN", "printing stopped by paper end": "PAPER_END",
            "error": "ERROR", "roll paper near end": "PAPER_NEAR_END", "roll paper end": "PAPER_END"}


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_status_table_is_the_codes(doc):
    rows = re.findall(r"^\| ([124]) \| [0-9, ]+ \| 0x([0-9A-F]{2}) \| ([^|(]+?) (?:\(.*\) )?\|$", doc, re.MULTILINE)
    assert len(rows) == sum(len(bits) for bits in BITS.values())
    for n, value, meaning in rows:
        assert {condition.name for condition in parse_reply(int(n), 0x12 | int(value, 16))} == {MEANINGS[meaning]}
    for n in (1, 2, 4):
        assert " ".join(f"{byte:02x}" for byte in request(n)) in doc


def test_every_example_url_parses(doc):
    urls = {url for url in re.findall(r"`((?:tcp|serial|usb|file):[^`\s]+)`", doc)
            if "[" not in url and not url.endswith("//")}  # the syntax lines and bare schemes
    assert len(urls) >= 6
    for url in urls:
        open_port(url)


def test_the_sample_receipt_is_what_the_layout_prints(doc):
    sample = doc.split("```\n")[-2]
    assert sample == receipt_text(receipt_from_document(SALE, STORE), 48)


def test_a_job_starts_as_documented():
    assert render(receipt_from_document(SALE, STORE)).startswith(bytes.fromhex("1b40 1c26"))
