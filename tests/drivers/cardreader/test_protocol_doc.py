"""The byte examples in docs/protocols/card-reader.md are what the code produces, so integrators can
trust them."""

from pathlib import Path

import pytest

from domain.events import EntryMode
from drivers.cardreader.framing import crc16, encode_ack, encode_frame
from drivers.cardreader.payload import (
    BadRead,
    Beep,
    CardEvent,
    Disable,
    Display,
    Enable,
    ReaderState,
    StatusReport,
    encode,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "protocols" / "card-reader.md"
VISA = CardEvent(EntryMode.CHIP, "4111111111111111=301220100000", "3012", "201", "ZHANG/WEI")


def hex_line(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data)


def hex_dump(data: bytes) -> str:
    rows = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        text = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in chunk)
        rows.append(f"{offset:04x}  {hex_line(chunk):<47}   {text}")
    return "\n".join(rows)


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_frame_examples(doc):
    assert hex_dump(encode_frame(0, encode(VISA))) in doc
    assert hex_dump(encode_frame(1, encode(Display("请插卡", "58.00")))) in doc
    for seq, message in [(0, StatusReport(ReaderState.READY)), (0, BadRead(EntryMode.CHIP, "chip mute")),
                         (0, Enable()), (0, Disable()), (0, Beep(2, 150))]:
        assert hex_line(encode_frame(seq, encode(message))) in doc, message
    assert hex_line(encode_ack(0)) in doc and hex_line(encode_ack(1)) in doc


def test_swipe_example(doc):
    swipe = b"%B4111111111111111^ZHANG/WEI^301220100000?;4111111111111111=301220100000?\r"
    assert hex_dump(swipe) in doc


def test_crc_check_value(doc):
    assert crc16(b"123456789") == 0x29B1 and "0x29B1" in doc
