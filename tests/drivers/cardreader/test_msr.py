"""The swipe reader core: ISO 7813 lines in, checked reads and noise reports out, whatever the line does."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.events import CardRead, EntryMode, LineNoise, ReadCheck, ReadError
from drivers.cardreader.msr import MsrReader
from drivers.errors import LocalProtocolError
from tests.drivers.cardreader.strategies import TODAY, future_expiries, names, pans, service_codes, splits

VISA = "4111111111111111"
T1 = f"%B{VISA}^ZHANG/WEI^3012201000000?"
T2 = f";{VISA}=301220100000?"
SWIPE = (T1 + T2 + "\r").encode()


def events(core, today=TODAY):
    found = []
    while (event := core.next_event(today)) is not None:
        found.append(event)
    return found


def read(data: bytes, now: float = 0.0, core: MsrReader | None = None):
    core = core or MsrReader()
    core.receive_data(data, now)
    return events(core)


def test_a_swipe_with_both_tracks_is_a_card_read():
    [event] = read(SWIPE)
    assert isinstance(event, CardRead) and event.entry_mode is EntryMode.SWIPE
    assert event.card.pan == VISA and event.card.name == "ZHANG/WEI" and event.card.service_code == "201"


@pytest.mark.parametrize("line", [T1, T2, T2 + T1, T1 + T2 + "+E?", T1 + T2 + "+0123?", "%E?" + T2, T1 + ";E?"])
def test_either_track_alone_is_enough(line):
    [event] = read(line.encode() + b"\r")
    assert isinstance(event, CardRead) and event.card.pan == VISA


@pytest.mark.parametrize("end", [b"\r", b"\n", b"\r\n", b"\n\r"])
def test_cr_lf_and_crlf_all_end_a_swipe(end):
    found = read(SWIPE[:-1] + end + SWIPE[:-1] + end)
    assert [type(event) for event in found] == [CardRead, CardRead]


@pytest.mark.parametrize("line", [b"%E?;E?\r", b"%E?\r", b";E?\r", b"%E?;E?+E?\r"])
def test_a_reader_reported_bad_read(line):
    [event] = read(line)
    assert isinstance(event, ReadError) and event.check is ReadCheck.BAD_READ


def test_tracks_that_disagree_are_a_mismatch():
    [event] = read(f"%B{VISA}^ZHANG/WEI^3112201000000?{T2}\r".encode())
    assert event.check is ReadCheck.TRACK_MISMATCH and "expiry" in event.detail


@pytest.mark.parametrize(("line", "check"), [
    (";4242424242424241=301220100000?", ReadCheck.LUHN),
    (";4111111111111111=201220100000?", ReadCheck.EXPIRY),
    (";4111111111111111=301210300000?", ReadCheck.SERVICE_CODE),
    (";4111111111111111=3012?", ReadCheck.FORMAT),
    ("%B4111111111111111^NAME^3012201000000", ReadCheck.FORMAT),  # no end sentinel
    (T2 + "x", ReadCheck.FORMAT),
])
def test_checks_apply_to_swipes(line, check):
    [event] = read(line.encode() + b"\r")
    assert isinstance(event, ReadError) and event.check is check, event
    assert VISA not in event.detail


def test_a_line_that_is_not_a_track_is_noise():
    [event] = read(b"hello\x00\xff\r")
    assert event == LineNoise("7 bytes with no track start sentinel", 7)


def test_noise_before_a_swipe_costs_nothing_even_with_sentinels_in_it():
    found = read(b"\x00;%?\xfe%B12" + SWIPE)
    assert isinstance(found[0], LineNoise) and found[0].byte_count == 9
    assert isinstance(found[1], CardRead) and found[1].card.pan == VISA


def test_a_broken_swipe_costs_only_itself():
    found = read(SWIPE[:40] + b"\r" + SWIPE)
    assert [type(event) for event in found] == [ReadError, CardRead]


def test_a_line_that_never_ends_is_cut_at_the_limit():
    core = MsrReader(max_line=100)
    found = read(b"x" * 200 + b"\r" + SWIPE, core=core)
    assert [event.byte_count for event in found if isinstance(event, LineNoise)] == [101, 99]
    assert isinstance(found[-1], CardRead)


def test_a_half_line_is_dropped_after_the_interbyte_timeout():
    core = MsrReader(interbyte_timeout=0.5)
    core.receive_data(SWIPE[:30], 10.0)
    assert core.get_timer() == 10.5
    core.handle_timer(10.4)
    assert events(core) == []
    core.handle_timer(10.5)
    assert events(core) == [LineNoise("30 bytes of a line that never ended, dropped after 0.5 s of silence", 30)]
    assert core.get_timer() is None
    core.receive_data(SWIPE, 11.0)
    assert isinstance(events(core)[0], CardRead)


def test_late_bytes_expire_a_stale_half_line_even_if_the_timer_was_never_fired():
    core = MsrReader()
    core.receive_data(SWIPE[:30], 0.0)
    core.receive_data(SWIPE, 5.0)
    assert [type(event) for event in events(core)] == [LineNoise, CardRead]


def test_the_reader_is_never_written_to():
    core = MsrReader()
    core.receive_data(SWIPE, 0.0)
    assert core.data_to_send() == b""


def test_api_misuse_is_a_local_error():
    with pytest.raises(LocalProtocolError):
        MsrReader().receive_data("%B4111", 0.0)
    with pytest.raises(LocalProtocolError):
        MsrReader(max_line=0)


@st.composite
def swipe_lines(draw) -> bytes:
    pan, expiry, service, name = draw(pans), draw(future_expiries), draw(service_codes), draw(names)
    t1 = f"%B{pan}^{name}^{expiry}{service}0000?"
    t2 = f";{pan}={expiry}{service}0000?"
    body = draw(st.sampled_from([t1 + t2, t1, t2, "%E?;E?"]))
    return body.encode() + draw(st.sampled_from([b"\r", b"\n", b"\r\n"]))


streams = st.lists(st.one_of(swipe_lines(), st.binary(max_size=40)), max_size=8).map(b"".join)


@settings(max_examples=200)
@given(st.data(), streams)
def test_byte_at_a_time_and_random_splits_give_the_same_events(data, stream):
    whole = read(stream)
    one_by_one = MsrReader()
    for index in range(len(stream)):
        one_by_one.receive_data(stream[index:index + 1], 0.0)
    assert events(one_by_one) == whole
    split = MsrReader()
    for chunk in data.draw(splits(stream)):
        split.receive_data(chunk, 0.0)
    assert events(split) == whole


@given(swipe_lines())
def test_generated_swipes_read_back_what_was_written(line):
    [event] = read(line)
    if line.startswith(b"%E"):
        assert event.check is ReadCheck.BAD_READ
    else:
        assert isinstance(event, CardRead), event
        assert event.card.pan in line.decode()


@settings(max_examples=300)
@given(st.lists(st.tuples(st.binary(max_size=80), st.floats(0, 2)), max_size=10))
def test_garbage_only_ever_produces_events(feeds):
    core = MsrReader(max_line=100)
    now = 0.0
    for data, pause in feeds:
        now += pause
        if (deadline := core.get_timer()) is not None and deadline <= now:
            core.handle_timer(now)
        core.receive_data(data, now)
        for event in events(core):
            assert isinstance(event, CardRead | ReadError | LineNoise)
