"""The agent's framed reader core: reports in, checked domain events out; commands out, failures back."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import CardRead, DeviceState, EntryMode, LineNoise, ReadCheck, ReadError, ReaderStatus
from drivers.cardreader.framed import CommandFailed, FramedReader
from drivers.cardreader.framing import NAK, encode_ack, encode_frame
from drivers.cardreader.payload import (
    BadRead,
    Beep,
    CardEvent,
    Display,
    Enable,
    ReaderState,
    StatusReport,
    encode,
)
from drivers.errors import LocalProtocolError
from tests.drivers.cardreader.strategies import TODAY, card_events, reports, splits

VISA = "4111111111111111"
VISA_T2 = f"{VISA}=301220100000"


def events(core):
    found = []
    while (event := core.next_event(TODAY)) is not None:
        found.append(event)
    return found


def deliver(*reports_or_payloads, core=None):
    core = core or FramedReader()
    payloads = [r if isinstance(r, bytes) else encode(r) for r in reports_or_payloads]
    core.receive_data(b"".join(encode_frame(seq, payload) for seq, payload in enumerate(payloads)), 0.0)
    return events(core)


@pytest.mark.parametrize("mode", list(EntryMode))
def test_a_card_event_becomes_a_checked_card_read(mode):
    [event] = deliver(CardEvent(mode, VISA_T2, "3012", "201", "ZHANG/WEI"))
    assert isinstance(event, CardRead) and event.entry_mode is mode
    assert (event.card.pan, str(event.card.expiry), event.card.service_code, event.card.name) == (
        VISA, "3012", "201", "ZHANG/WEI")


def test_each_card_event_is_acked():
    core = FramedReader()
    core.receive_data(encode_frame(9, encode(CardEvent(EntryMode.TAP, VISA_T2, "3012", "201"))), 0.0)
    assert core.data_to_send() == encode_ack(9)


@pytest.mark.parametrize(("event", "check"), [
    (CardEvent(EntryMode.CHIP, "4242424242424241=301220100000", "3012", "201"), ReadCheck.LUHN),
    (CardEvent(EntryMode.CHIP, f"{VISA}=201220100000", "2012", "201"), ReadCheck.EXPIRY),
    (CardEvent(EntryMode.CHIP, f"{VISA}=301210300000", "3012", "103"), ReadCheck.SERVICE_CODE),
    (CardEvent(EntryMode.CHIP, VISA_T2, "3112", "201"), ReadCheck.TRACK_MISMATCH),
    (CardEvent(EntryMode.CHIP, VISA_T2, "3012", "101"), ReadCheck.TRACK_MISMATCH),
    (CardEvent(EntryMode.CHIP, f"{VISA}3012201", "3012", "201"), ReadCheck.FORMAT),
    (CardEvent(EntryMode.CHIP, "41111111=3012201", "3012", "201"), ReadCheck.FORMAT),
    (b"CC\x05411", ReadCheck.FORMAT),  # a card event that does not decode is still a failed read
    (BadRead(EntryMode.CHIP, "chip error 6A82"), ReadCheck.BAD_READ),
])
def test_failed_reads_name_their_check(event, check):
    [result] = deliver(event)
    assert isinstance(result, ReadError) and result.check is check, result
    assert VISA not in result.detail


def test_a_bad_read_carries_the_readers_words():
    [result] = deliver(BadRead(EntryMode.CHIP, "chip error"))
    assert result.detail == "the reader could not read the card (chip): chip error"


@pytest.mark.parametrize(("report", "state", "detail"), [
    (StatusReport(ReaderState.READY), DeviceState.ONLINE, "ready"),
    (StatusReport(ReaderState.BUSY, "reading chip"), DeviceState.ONLINE, "busy: reading chip"),
    (StatusReport(ReaderState.ERROR, "tamper"), DeviceState.OFFLINE, "error: tamper"),
])
def test_status_reports(report, state, detail):
    assert deliver(report) == [ReaderStatus(state, detail)]


def test_an_undecodable_report_is_noise_and_the_link_goes_on():
    found = deliver(b"SX", b"E", StatusReport(ReaderState.READY))
    assert found[0] == LineNoise("undecodable report from the reader: status: state byte 0x58 ('X') at "
                                 "offset 1 is not one of R, B, E", 2)
    assert isinstance(found[1], LineNoise) and "is not a reader report" in found[1].detail
    assert found[2] == ReaderStatus(DeviceState.ONLINE, "ready")


def test_commands_go_out_framed_one_at_a_time():
    core = FramedReader()
    core.send_command(Enable(), 0.0)
    core.send_command(Display("请插卡", "合计 58.00"), 0.0)
    assert core.data_to_send() == encode_frame(0, b"E")
    core.receive_data(encode_ack(0), 0.1)
    assert core.data_to_send() == encode_frame(1, encode(Display("请插卡", "合计 58.00")))


def test_a_command_never_acknowledged_comes_back_as_command_failed():
    core = FramedReader()
    core.send_command(Beep(2, 200), 0.0)
    core.receive_data(bytes([NAK]) * 3, 0.5)  # three NAKs: three retransmissions
    assert core.data_to_send().count(encode_frame(0, encode(Beep(2, 200)))) == 4
    assert core.get_timer() == 3.5
    core.handle_timer(3.5)
    assert events(core) == [CommandFailed(Beep(2, 200), 4)]
    assert core.get_timer() is None


def test_api_misuse_is_a_local_error():
    core = FramedReader()
    with pytest.raises(LocalProtocolError):
        core.send_command("enable", 0.0)
    with pytest.raises(LocalProtocolError):
        core.send_command(Display("\x1b[2J"), 0.0)
    with pytest.raises(LocalProtocolError):
        core.receive_data(None, 0.0)


stream_parts = st.one_of(
    st.tuples(st.integers(0, 255), reports).map(lambda pair: encode_frame(pair[0], encode(pair[1]))),
    st.binary(max_size=10),
)


@settings(max_examples=150)
@given(st.data(), st.lists(stream_parts, max_size=6).map(b"".join))
def test_byte_at_a_time_and_random_splits_give_the_same_events(data, stream):
    def run(chunks):
        core = FramedReader()
        for chunk in chunks:
            core.receive_data(chunk, 0.0)
        core.handle_timer(0.2)
        return events(core), core.data_to_send()

    whole = run([stream])
    assert run([stream[i:i + 1] for i in range(len(stream))]) == whole
    assert run(data.draw(splits(stream))) == whole


@given(card_events())
def test_generated_card_events_read_back_as_sent(event):
    [result] = deliver(event)
    assert isinstance(result, CardRead), result
    assert result.card.pan == event.track2.partition("=")[0] and result.card.name == event.name


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=60), st.floats(0, 4)), max_size=12))
def test_garbage_only_ever_produces_events(feeds):
    core = FramedReader()
    core.send_command(Enable(), 0.0)
    now = 0.0
    for data, pause in feeds:
        now += pause
        if (deadline := core.get_timer()) is not None and deadline <= now:
            core.handle_timer(now)
        core.receive_data(data, now)
        core.data_to_send()
        for event in events(core):
            assert isinstance(event, CardRead | ReadError | LineNoise | ReaderStatus | CommandFailed)


@st.composite
def damaged_reports(draw) -> bytes:
    """A real report with some bytes changed: closer to the decoder's paths than random bytes."""
    payload = bytearray(encode(draw(reports)))
    for _ in range(draw(st.integers(1, 3))):
        payload[draw(st.integers(0, len(payload) - 1))] = draw(st.integers(0, 255))
    return bytes(payload)


@settings(max_examples=300)
@given(st.one_of(st.binary(min_size=1, max_size=80), damaged_reports()))
def test_any_payload_in_a_good_frame_only_ever_produces_events(payload):
    for event in deliver(payload):
        assert isinstance(event, CardRead | ReadError | LineNoise | ReaderStatus)
