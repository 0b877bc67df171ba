"""The virtual reader's device-side cores against the agent's cores: every wallet card, both formats."""

import random

import pytest

from domain.events import CardRead, DeviceState, EntryMode, LineNoise, ReadCheck, ReadError, ReaderStatus
from drivers.cardreader.framed import FramedReader
from drivers.cardreader.framing import DeliveryFailed, encode_frame
from drivers.cardreader.msr import MsrReader
from drivers.cardreader.payload import Beep, CardEvent, Disable, Display, Enable, ReaderState
from drivers.errors import LocalProtocolError
from simulator.cardreader.device import FramedDevice, MsrDevice, corrupt, line_noise
from simulator.cardreader.wallet import VALID_KEYS, WALLET
from tests.drivers.cardreader.strategies import TODAY

FAILING_KEYS = [key for key in WALLET if key not in VALID_KEYS]


def events(core):
    found = []
    while (event := core.next_event(TODAY)) is not None:
        found.append(event)
    return found


def exchange(device: FramedDevice, reader: FramedReader, now: float = 0.0) -> None:
    """A clean cable: pass bytes both ways until neither end has anything to say."""
    while True:
        up, down = device.data_to_send(), reader.data_to_send()
        if not up and not down:
            return
        reader.receive_data(up, now)
        device.receive_data(down, now)


@pytest.mark.parametrize("key", VALID_KEYS)
@pytest.mark.parametrize(("tracks", "line_end"), [("12", b"\r"), ("2", b"\r\n"), ("1", b"\n")])
def test_every_valid_card_swiped_reads_as_that_card(key, tracks, line_end):
    card = WALLET[key]
    core = MsrReader()
    core.receive_data(MsrDevice(tracks=tracks, line_end=line_end).swipe(card), 0.0)
    [event] = events(core)
    assert isinstance(event, CardRead) and event.entry_mode is EntryMode.SWIPE
    expected = card.to_card()
    assert (event.card.pan, event.card.expiry, event.card.service_code) == (
        expected.pan, expected.expiry, expected.service_code)
    assert event.card.name == (card.name if "1" in tracks else "")


@pytest.mark.parametrize("key", VALID_KEYS)
@pytest.mark.parametrize("mode", list(EntryMode))
def test_every_valid_card_presented_to_a_framed_reader_reads_as_that_card(key, mode):
    device, reader = FramedDevice(), FramedReader()
    device.present(WALLET[key], mode, 0.0)
    exchange(device, reader)
    assert events(reader) == [CardRead(WALLET[key].to_card(), mode)]
    assert device.get_timer() is None  # acknowledged


@pytest.mark.parametrize("key", FAILING_KEYS)
def test_every_failing_card_fails_its_check_in_both_formats(key):
    card = WALLET[key]
    msr = MsrReader()
    msr.receive_data(MsrDevice().swipe(card), 0.0)
    device, framed = FramedDevice(), FramedReader()
    device.present(card, EntryMode.CHIP, 0.0)
    exchange(device, framed)
    for [event] in (events(msr), events(framed)):
        assert isinstance(event, ReadError) and event.check is card.fails
        assert event.masked == card.masked and card.pan not in event.detail


def test_a_bad_read_in_both_formats():
    msr = MsrReader()
    msr.receive_data(MsrDevice().bad_swipe(), 0.0)
    device, framed = FramedDevice(), FramedReader()
    device.bad_read(0.0, EntryMode.CHIP, "chip mute")
    exchange(device, framed)
    for [event] in (events(msr), events(framed)):
        assert event.check is ReadCheck.BAD_READ
    assert MsrDevice(tracks="2").bad_swipe() == b";E?\r"
    assert MsrDevice().bad_swipe() == b"%E?;E?\r"


def test_status_reports_reach_the_agent():
    device, reader = FramedDevice(), FramedReader()
    device.status(ReaderState.BUSY, 0.0, "PIN entry")
    exchange(device, reader)
    assert events(reader) == [ReaderStatus(DeviceState.ONLINE, "busy: PIN entry")]


def test_mismatched_fields_sent_on_purpose_are_refused():
    device, reader = FramedDevice(), FramedReader()
    device.send(CardEvent(EntryMode.TAP, "4111111111111111=301220100000", "3112", "201"), 0.0)
    exchange(device, reader)
    assert events(reader)[0].check is ReadCheck.TRACK_MISMATCH


def test_commands_reach_the_device_in_order_and_are_acknowledged():
    device, reader = FramedDevice(), FramedReader()
    sent = [Enable(), Display("请插卡或挥卡", "合计 ¥58.00"), Beep(2, 150), Disable()]
    for command in sent:
        reader.send_command(command, 0.0)
    exchange(device, reader)
    received = []
    while (command := device.next_command()) is not None:
        received.append(command)
    assert received == sent and reader.get_timer() is None and events(reader) == []


def test_the_device_reports_noise_and_undecodable_commands():
    device = FramedDevice()
    device.receive_data(b"\xff\xfe" + encode_frame(0, b"Q"), 0.0)
    assert device.next_command() is None
    assert device.next_notice() == LineNoise("2 stray bytes outside any frame", 2)
    notice = device.next_notice()
    assert isinstance(notice, LineNoise) and "undecodable command" in notice.detail
    assert device.next_notice() is None


def test_the_device_keeps_offering_a_card_the_agent_has_not_acknowledged():
    device = FramedDevice()
    device.present(WALLET["visa"], EntryMode.TAP, 0.0)
    frame = device.data_to_send()
    for now in (3.0, 6.0, 9.0, 12.0):
        device.handle_timer(now)
    notice = device.next_notice()
    assert isinstance(notice, DeliveryFailed) and notice.attempts == 4
    assert device.data_to_send() == frame * 4  # three retransmissions, then the next round begins
    reader = FramedReader()
    reader.receive_data(frame, 12.5)
    device.receive_data(reader.data_to_send(), 12.5)
    assert device.get_timer() is None
    assert [type(event) for event in events(reader)] == [CardRead]


def test_device_options_are_checked():
    with pytest.raises(LocalProtocolError):
        MsrDevice(tracks="3")
    with pytest.raises(LocalProtocolError):
        MsrDevice(line_end=b"\x03")


def test_corrupt_spoils_at_the_given_rate_reproducibly():
    data = bytes(range(256)) * 40
    assert corrupt(data, 0.0, random.Random(1)) == data
    assert all(a != b for a, b in zip(corrupt(data, 1.0, random.Random(1)), data, strict=True))
    spoiled = corrupt(data, 0.01, random.Random(7))
    assert spoiled == corrupt(data, 0.01, random.Random(7))
    assert 50 < sum(a != b for a, b in zip(spoiled, data, strict=True)) < 160  # ~102 expected


def test_line_noise_is_reproducible():
    assert len(line_noise(40, random.Random(3))) == 40
    assert line_noise(40, random.Random(3)) == line_noise(40, random.Random(3))
