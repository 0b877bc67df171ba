"""The framed payload codec: exact round-trips, and precise complaints about malformed payloads."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import EntryMode
from drivers.cardreader.payload import (
    BadRead,
    Beep,
    CardEvent,
    Disable,
    Display,
    Enable,
    ReaderState,
    StatusReport,
    decode_command,
    decode_report,
    encode,
)
from drivers.errors import LocalProtocolError, RemoteProtocolError
from tests.drivers.cardreader.strategies import card_events, commands, reports

VISA_T2 = "4111111111111111=301220100000"
CARD = CardEvent(EntryMode.CHIP, VISA_T2, "3012", "201", "ZHANG/WEI")


@given(reports)
def test_reports_round_trip(report):
    assert decode_report(encode(report)) == report


@given(commands)
def test_commands_round_trip(command):
    assert decode_command(encode(command)) == command


def test_the_documented_layouts():
    assert encode(CARD) == b"CC\x1d" + VISA_T2.encode() + b"3012201\x09ZHANG/WEI"
    assert encode(StatusReport(ReaderState.READY, "ok")) == b"SRok"
    assert encode(BadRead(EntryMode.CHIP, "")) == b"BC"
    assert encode(Enable()) == b"E" and encode(Disable()) == b"D"
    assert encode(Display("请插卡", "58.00")) == b"T\x09" + "请插卡".encode() + b"\x0558.00"
    assert encode(Beep(2, 300)) == b"Z\x02\x01\x2c"


def test_reports_and_commands_are_not_interchangeable():
    with pytest.raises(RemoteProtocolError, match="0x45 \\('E'\\) at offset 0 is not a reader report"):
        decode_report(encode(Enable()))
    with pytest.raises(RemoteProtocolError, match="is not a command"):
        decode_command(encode(CARD))


@pytest.mark.parametrize(("decode", "data", "message"), [
    (decode_report, b"", "empty reader report message"),
    (decode_report, b"CQ", "card event: entry mode byte 0x51 ('Q') at offset 1 is not one of S, C, T, F"),
    (decode_report, b"CC", "card event: track-2 equivalent length needs 1 bytes at offset 2"),
    (decode_report, b"CC\x30", "card event: track-2 equivalent length 48 at offset 2 exceeds 37"),
    (decode_report, b"CC\x05411", "card event: track-2 equivalent needs 5 bytes at offset 3 but the "
                                  "6-byte payload ends first"),
    (decode_report, b"CC\x00" + b"3012201\x00", "card event: track-2 equivalent is 0 characters"),
    (decode_report, b"CC\x034A1" + b"3012201\x00", "track-2 equivalent has byte 0x41 at offset 4"),
    (decode_report, b"CC\x03411" + b"30X2201\x00", "card event: expiry has byte 0x58 at offset 8"),
    (decode_report, b"CC\x03411" + b"3012 01\x00", "card event: service code has byte 0x20 at offset 10"),
    (decode_report, b"CC\x03411" + b"3012201\x01\x7f", "card event: name has byte 0x7F at offset 14"),
    (decode_report, b"CC\x03411" + b"3012201\x00!!", "card event: 2 unexpected bytes at offset 14"),
    (decode_report, b"SX", "status: state byte 0x58 ('X') at offset 1 is not one of R, B, E"),
    (decode_report, b"SR\xe4\xb8", "status: text is not UTF-8: byte 0xE4 at offset 2"),
    (decode_report, b"SRok\x07", "status: text has control character U+0007 at offset 4"),
    (decode_report, b"SR" + b"x" * 65, "status: text is 65 bytes of UTF-8; at most 64 fit"),
    (decode_report, b"BZ", "bad read: entry mode byte 0x5A ('Z') at offset 1"),
    (decode_command, b"E!", "enable: 1 unexpected bytes at offset 1"),
    (decode_command, b"T\x02hi", "display: line 2 length needs 1 bytes at offset 4"),
    (decode_command, b"T\x41", "display: line 1 length 65 at offset 1 exceeds 64"),
    (decode_command, b"T\x02h\n\x00", "display: line 1 has control character U+000A at offset 3"),
    (decode_command, b"Z\x00\x00\x64", "beep: count 0 at offset 1 is not 1..9"),
    (decode_command, b"Z\x01\x00\x01", "beep: millis 1 at offset 2 is not 10..5000"),
    (decode_command, b"Z\x01\x00", "beep: millis needs 2 bytes at offset 2"),
    (decode_command, b"\x02", "message type byte 0x02 at offset 0 is not a command (E, D, T, Z)"),
])
def test_malformed_payloads_name_the_field_and_offset(decode, data, message):
    with pytest.raises(RemoteProtocolError) as caught:
        decode(data)
    assert message in str(caught.value)


@pytest.mark.parametrize("message", [
    CardEvent(EntryMode.CHIP, "4111111111111111D3012", "3012", "201"),
    CardEvent(EntryMode.CHIP, "", "3012", "201"),
    CardEvent(EntryMode.CHIP, "4" * 38, "3012", "201"),
    CardEvent(EntryMode.CHIP, VISA_T2, "12/30", "201"),
    CardEvent(EntryMode.CHIP, VISA_T2, "3012", "2010"),
    CardEvent(EntryMode.CHIP, VISA_T2, "3012", "201", "张伟"),
    CardEvent(EntryMode.CHIP, VISA_T2, "3012", "201", "X" * 27),
    CardEvent("chip", VISA_T2, "3012", "201"),
    StatusReport("ready"),
    StatusReport(ReaderState.BUSY, "a\rb"),
    BadRead(EntryMode.TAP, "x" * 65),
    Display("line\none"),
    Display("请" * 22),
    Display(None),
    Beep(0),
    Beep(1, 6000),
    Beep(True),
    "E",
])
def test_encoding_what_may_not_be_sent_is_our_bug(message):
    with pytest.raises(LocalProtocolError):
        encode(message)


def test_encoding_errors_do_not_echo_a_card_number():
    with pytest.raises(LocalProtocolError) as caught:
        encode(CardEvent(EntryMode.CHIP, "4111111111111111D3012", "3012", "201"))
    assert "4111111111111111" not in str(caught.value)


@given(card_events())
def test_a_card_event_never_shows_its_card_number(event):
    pan = event.track2.partition("=")[0]
    assert pan not in repr(event) and pan not in str(event)


@settings(max_examples=500)
@given(st.binary(max_size=80))
def test_random_bytes_decode_or_raise_remote_protocol_error_only(data):
    for decode in (decode_report, decode_command):
        with contextlib.suppress(RemoteProtocolError):
            decode(data)


@given(reports, st.data())
def test_every_truncation_of_a_report_is_refused_precisely(report, data):
    encoded = encode(report)
    if isinstance(report, StatusReport | BadRead):
        return  # free text runs to the end: a shorter one is still a report
    cut = data.draw(st.integers(1, len(encoded) - 1))
    with pytest.raises(RemoteProtocolError, match="offset"):
        decode_report(encoded[:cut])
