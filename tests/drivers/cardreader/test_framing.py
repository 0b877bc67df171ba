"""The link layer both ends share: frames, ACK/NAK, retransmission, timeouts, duplicates, resync."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import LineNoise
from drivers.cardreader.framing import (
    ACK,
    ETX,
    MAX_MESSAGE,
    NAK,
    STX,
    DeliveryFailed,
    Link,
    Received,
    crc16,
    encode_ack,
    encode_frame,
)
from drivers.errors import LocalProtocolError
from tests.drivers.cardreader.strategies import splits

messages = st.binary(min_size=1, max_size=60)


def drain(link):
    found = []
    while (event := link.next_event()) is not None:
        found.append(event)
    return found


def test_crc_is_ccitt_false():
    assert crc16(b"123456789") == 0x29B1


def test_frame_layout():
    frame = encode_frame(7, b"E")
    body = bytes([7]) + b"E" + crc16(bytes([7]) + b"E").to_bytes(2, "big")
    assert frame == bytes([STX, 0, 4]) + body + bytes([ETX, body[0] ^ body[1] ^ body[2] ^ body[3] ^ ETX])
    assert encode_ack(7) == bytes([ACK, 7, 0xF8])


@given(st.lists(messages, min_size=1, max_size=10), st.integers(0, 255))
def test_frames_round_trip_in_order_each_acked(batch, first):
    receiver = Link()
    seqs = [(first + index) % 256 for index in range(len(batch))]
    receiver.receive_data(b"".join(encode_frame(seq, message) for seq, message in zip(seqs, batch, strict=True)), 0)
    assert drain(receiver) == [Received(message) for message in batch]
    assert receiver.data_to_send() == b"".join(encode_ack(seq) for seq in seqs)


@given(st.lists(messages, min_size=1, max_size=8))
def test_two_links_deliver_in_order_one_frame_outstanding_at_a_time(batch):
    sender, receiver = Link(), Link()
    for message in batch:
        sender.send(message, 0)
    delivered = []
    while out := sender.data_to_send():
        assert out.count(STX) >= 1 and out.startswith(bytes([STX]))
        assert len(out) == len(encode_frame(0, batch[len(delivered)]))  # one frame, never two
        receiver.receive_data(out, 0)
        delivered += [event.message for event in drain(receiver)]
        sender.receive_data(receiver.data_to_send(), 0)
    assert delivered == batch and sender.get_timer() is None and drain(sender) == []


stream_parts = st.one_of(
    st.builds(encode_frame, st.integers(0, 255), messages),
    st.builds(encode_ack, st.integers(0, 255)),
    st.just(bytes([NAK])),
    st.binary(max_size=12),
)


@settings(max_examples=200)
@given(st.data(), st.lists(stream_parts, max_size=8).map(b"".join))
def test_byte_at_a_time_and_random_splits_give_the_same_result(data, stream):
    def run(chunks):
        link = Link()
        link.send(b"outstanding", 0.0)
        link.data_to_send()
        for chunk in chunks:
            link.receive_data(chunk, 0.0)
        link.handle_timer(0.2)  # the line goes quiet: whatever is half-received is dropped
        return drain(link), link.data_to_send()

    whole = run([stream])
    assert run([stream[i:i + 1] for i in range(len(stream))]) == whole
    assert run(data.draw(splits(stream))) == whole


def test_a_bad_lrc_is_naked_and_not_delivered():
    frame = bytearray(encode_frame(1, b"hello"))
    frame[-1] ^= 0x01
    receiver = Link()
    receiver.receive_data(bytes(frame), 0)
    assert drain(receiver) == [LineNoise("a 13-byte frame failed its LRC check; NAK sent", 13)]
    assert receiver.data_to_send() == bytes([NAK])


def test_two_errors_that_cancel_in_the_lrc_are_caught_by_the_crc():
    frame = bytearray(encode_frame(1, b"4111111111111111=3012"))
    frame[5] ^= 0x04  # '1' -> '5'
    frame[9] ^= 0x04  # and back in the XOR: the LRC still matches
    receiver = Link()
    receiver.receive_data(bytes(frame), 0)
    assert drain(receiver) == [LineNoise(f"a {len(frame)}-byte frame failed its CRC check; NAK sent", len(frame))]
    assert receiver.data_to_send() == bytes([NAK])


def test_a_nak_brings_the_same_frame_again_at_once():
    sender = Link()
    sender.send(b"card", 0.0)
    frame = sender.data_to_send()
    sender.receive_data(bytes([NAK]), 0.5)
    assert sender.data_to_send() == frame
    assert sender.get_timer() == 3.5


def test_no_answer_means_three_retransmissions_then_a_delivery_failure():
    sender = Link()
    sender.send(b"first", 0.0)
    sender.send(b"second", 0.0)
    frame = sender.data_to_send()
    for attempt in range(1, 4):
        assert sender.get_timer() == 3.0 * attempt
        sender.handle_timer(3.0 * attempt - 0.001)
        assert sender.data_to_send() == b""
        sender.handle_timer(3.0 * attempt)
        assert sender.data_to_send() == frame
    sender.handle_timer(12.0)
    assert drain(sender) == [DeliveryFailed(b"first", 4)]
    assert sender.data_to_send() == encode_frame(1, b"second")  # the queue moves on, with a new number


def test_timers_are_configurable():
    sender = Link(response_timeout=1.0, max_retransmits=0)
    sender.send(b"x", 0.0)
    sender.handle_timer(1.0)
    assert drain(sender) == [DeliveryFailed(b"x", 1)]
    receiver = Link(interbyte_timeout=0.05)
    receiver.receive_data(encode_frame(0, b"x")[:4], 0.0)
    assert receiver.get_timer() == 0.05


def test_a_retransmission_after_a_lost_ack_is_acked_again_but_delivered_once():
    sender, receiver = Link(), Link()
    sender.send(b"card", 0.0)
    receiver.receive_data(sender.data_to_send(), 0.0)
    assert receiver.data_to_send() == encode_ack(0)  # ... and the line eats it
    sender.handle_timer(3.0)
    receiver.receive_data(sender.data_to_send(), 3.0)
    assert receiver.data_to_send() == encode_ack(0)
    sender.receive_data(encode_ack(0), 3.0)
    assert drain(receiver) == [Received(b"card")]
    assert sender.get_timer() is None


def test_a_late_ack_cannot_acknowledge_the_next_frame():
    sender = Link()
    sender.send(b"one", 0.0)
    sender.send(b"two", 0.0)
    sender.data_to_send()
    sender.handle_timer(3.0)  # no ACK yet: retransmit
    assert sender.data_to_send() == encode_frame(0, b"one")
    sender.receive_data(encode_ack(0), 3.1)  # the ACK of the first copy
    assert sender.data_to_send() == encode_frame(1, b"two")
    sender.receive_data(encode_ack(0), 3.2)  # the ACK of the retransmission, late
    assert sender.get_timer() == 6.1  # "two" is still waiting for its own ACK
    sender.handle_timer(6.1)
    assert sender.data_to_send() == encode_frame(1, b"two")


def test_an_ack_with_a_bad_check_byte_is_noise():
    sender = Link()
    sender.send(b"one", 0.0)
    sender.data_to_send()
    sender.receive_data(bytes([ACK, 0, 0x00]), 0.0)
    sender.handle_timer(0.2)
    assert drain(sender) == [LineNoise("3 stray bytes outside any frame", 3)]
    assert sender.get_timer() == 3.0  # still waiting for a real ACK


def test_keep_offering_restarts_the_cycle_with_the_same_sequence_number():
    reader_side = Link(keep_offering=True)
    reader_side.send(b"card", 0.0)
    frame = reader_side.data_to_send()
    for now in (3.0, 6.0, 9.0, 12.0, 15.0):
        reader_side.handle_timer(now)
        assert reader_side.data_to_send() == frame
    assert drain(reader_side) == [DeliveryFailed(b"card", 4)]
    reader_side.receive_data(encode_ack(0), 15.5)
    assert reader_side.get_timer() is None


def test_a_partial_frame_is_dropped_after_the_interbyte_timeout():
    receiver = Link()
    frame = encode_frame(0, b"hello")
    receiver.receive_data(frame[:6], 1.0)
    assert receiver.get_timer() == pytest.approx(1.2)
    receiver.handle_timer(1.1)
    assert drain(receiver) == []
    receiver.handle_timer(1.2)
    assert drain(receiver) == [LineNoise("6 stray bytes outside any frame", 6)]
    assert receiver.get_timer() is None and receiver.data_to_send() == b""
    receiver.receive_data(frame, 2.0)
    assert drain(receiver) == [Received(b"hello")]


def test_bytes_after_a_silence_start_afresh_even_if_the_timer_was_not_fired():
    receiver = Link()
    frame = encode_frame(0, b"hello")
    receiver.receive_data(frame[:6], 0.0)
    receiver.receive_data(frame, 0.5)
    assert drain(receiver) == [LineNoise("6 stray bytes outside any frame", 6), Received(b"hello")]


def test_a_stray_stx_before_a_frame_costs_nothing():
    receiver = Link()
    receiver.receive_data(bytes([STX]) + encode_frame(0, b"hello"), 0.0)
    assert drain(receiver) == [LineNoise("1 stray bytes outside any frame", 1), Received(b"hello")]


def test_a_stray_stx_with_a_plausible_length_gives_the_frame_back_on_timeout():
    receiver = Link()
    receiver.receive_data(bytes([STX, 0x00, 0x80]) + encode_frame(0, b"hello"), 0.0)
    assert drain(receiver) == []  # 128 bytes promised: wait for them ...
    receiver.handle_timer(0.2)  # ... until the line goes quiet, then rescan what came after the STX
    assert drain(receiver) == [LineNoise("3 stray bytes outside any frame", 3), Received(b"hello")]
    assert receiver.data_to_send() == encode_ack(0)


def test_sequence_numbers_wrap():
    sender = Link(first_seq=255)
    sender.send(b"a", 0.0)
    sender.send(b"b", 0.0)
    assert sender.data_to_send() == encode_frame(255, b"a")
    sender.receive_data(encode_ack(255), 0.0)
    assert sender.data_to_send() == encode_frame(0, b"b")


def test_api_misuse_is_a_local_error():
    link = Link()
    for bad in (b"", b"x" * (MAX_MESSAGE + 1), "text"):
        with pytest.raises(LocalProtocolError):
            link.send(bad, 0.0)
    with pytest.raises(LocalProtocolError):
        link.receive_data("text", 0.0)
    with pytest.raises(LocalProtocolError):
        encode_frame(256, b"x")
    for options in ({"response_timeout": 0}, {"interbyte_timeout": -1}, {"max_retransmits": -1},
                    {"first_seq": 256}):
        with pytest.raises(LocalProtocolError):
            Link(**options)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=60), st.floats(0, 4)), max_size=12))
def test_garbage_only_ever_produces_events(feeds):
    link = Link()
    link.send(b"waiting for an answer", 0.0)
    now = 0.0
    for data, pause in feeds:
        now += pause
        if (deadline := link.get_timer()) is not None and deadline <= now:
            link.handle_timer(now)
        link.receive_data(data, now)
        link.data_to_send()
        for event in drain(link):
            assert isinstance(event, Received | DeliveryFailed | LineNoise)
