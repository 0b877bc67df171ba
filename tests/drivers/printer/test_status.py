"""DLE EOT status: every bit the handbook names, and silence read as unknown, never as OK."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.events import PrinterCondition as C
from drivers.errors import LocalProtocolError, RemoteProtocolError
from drivers.printer.status import QUERIES, StatusCheck, parse_reply, printable, request

IDLE = 0x12  # 0001 0010: the fixed bits alone, nothing to report


def run(replies: bytes) -> StatusCheck:
    """A round where the printer answers each query with the next byte of `replies`."""
    check = StatusCheck()
    for reply in replies:
        assert check.next_request() is not None
        check.receive_data(bytes([reply]))
    return check


def test_requests_are_dle_eot_n():
    assert [request(n) for n in QUERIES] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]


@pytest.mark.parametrize("n", [0, 3, 5, 7, 8, 256, -1, True, "1"])
def test_other_queries_are_the_callers_mistake(n):
    with pytest.raises(LocalProtocolError, match="not a status query"):
        request(n)


@pytest.mark.parametrize(("n", "byte", "expected"), [
    (1, IDLE, {C.OK}),
    (1, IDLE | 0x08, {C.OFFLINE}),
    (1, IDLE | 0x04 | 0x20 | 0x40, {C.OK}),  # drawer, waiting for recovery, feed button: not ours to judge
    (2, IDLE, {C.OK}),
    (2, IDLE | 0x04, {C.COVER_OPEN}),
    (2, IDLE | 0x20, {C.PAPER_END}),
    (2, IDLE | 0x40, {C.ERROR}),
    (2, IDLE | 0x04 | 0x20 | 0x40, {C.COVER_OPEN, C.PAPER_END, C.ERROR}),
    (2, IDLE | 0x08, {C.OK}),  # paper being fed by the button
    (4, IDLE, {C.OK}),
    (4, IDLE | 0x0C, {C.PAPER_NEAR_END}),
    (4, IDLE | 0x04, {C.PAPER_NEAR_END}),  # printers that set only one of the two bits
    (4, IDLE | 0x08, {C.PAPER_NEAR_END}),
    (4, IDLE | 0x60, {C.PAPER_END}),
    (4, IDLE | 0x20, {C.PAPER_END}),
    (4, IDLE | 0x6C, {C.PAPER_NEAR_END, C.PAPER_END}),
])
def test_each_bit_of_each_reply(n, byte, expected):
    assert parse_reply(n, byte) == expected


@pytest.mark.parametrize("byte", [0x00, 0xFF, 0x13, 0x10, 0x02, 0x92, 0x16 | 0x01, 0x80 | 0x12])
def test_a_byte_off_the_fixed_pattern_is_the_printers_fault_and_named(byte):
    with pytest.raises(RemoteProtocolError, match=rf"0x{byte:02x}.*DLE EOT 2"):
        parse_reply(2, byte)


def test_the_fixed_pattern_is_exactly_0xx1xx10():
    accepted = {byte for byte in range(256) if _parses(byte)}
    assert accepted == {byte for byte in range(256) if f"{byte:08b}"[0] == "0" and f"{byte:08b}"[3] == "1"
                        and f"{byte:08b}"[6:] == "10"}
    assert len(accepted) == 16


def _parses(byte: int) -> bool:
    try:
        parse_reply(1, byte)
    except RemoteProtocolError:
        return False
    return True


def test_printable_only_when_ok_or_near_end():
    assert printable({C.OK})
    assert printable({C.PAPER_NEAR_END})
    assert printable({C.OK, C.PAPER_NEAR_END})
    for condition in (C.PAPER_END, C.COVER_OPEN, C.OFFLINE, C.ERROR, C.NO_REPLY):
        assert not printable({condition})
        assert not printable({C.OK, condition})
    assert not printable(set())


def test_a_round_asks_1_2_4_and_all_quiet_is_ok():
    check = StatusCheck()
    sent = []
    while (query := check.next_request()) is not None:
        sent.append(query)
        assert not check.done
        check.receive_data(bytes([IDLE]))
    assert sent == [request(1), request(2), request(4)]
    assert check.done
    assert check.result() == {C.OK}


def test_near_end_alone_is_reported_without_ok():
    assert run(bytes([IDLE, IDLE, IDLE | 0x0C])).result() == {C.PAPER_NEAR_END}


def test_conditions_from_every_reply_are_gathered():
    result = run(bytes([IDLE | 0x08, IDLE | 0x04, IDLE | 0x60])).result()
    assert result == {C.OFFLINE, C.COVER_OPEN, C.PAPER_END}
    assert not printable(result)


@pytest.mark.parametrize("answered", [0, 1, 2])
def test_no_reply_is_unknown_never_ok(answered):
    check = run(bytes([IDLE] * answered))
    assert check.next_request() == request(QUERIES[answered])
    check.no_reply()
    assert check.done
    assert check.result() == {C.NO_REPLY}
    assert C.OK not in check.result()
    assert not printable(check.result())
    assert check.next_request() is None  # a silent printer is not asked again within the round


def test_no_reply_keeps_what_earlier_replies_said():
    check = run(bytes([IDLE, IDLE | 0x04]))
    check.next_request()
    check.no_reply()
    assert check.result() == {C.COVER_OPEN, C.NO_REPLY}


def test_result_before_the_round_is_over_is_the_callers_mistake():
    check = StatusCheck()
    with pytest.raises(LocalProtocolError, match="not over"):
        check.result()
    check.next_request()
    check.receive_data(bytes([IDLE]))
    with pytest.raises(LocalProtocolError, match="not over"):
        check.result()


def test_asking_again_before_the_reply_is_the_callers_mistake():
    check = StatusCheck()
    check.next_request()
    with pytest.raises(LocalProtocolError, match="DLE EOT 1 is still awaited"):
        check.next_request()


def test_no_reply_with_nothing_asked_is_the_callers_mistake():
    with pytest.raises(LocalProtocolError, match="no status query"):
        StatusCheck().no_reply()


def test_rubbish_names_the_byte_and_ends_the_round_as_unknown():
    check = StatusCheck()
    check.next_request()
    check.receive_data(bytes([IDLE]))
    check.next_request()
    with pytest.raises(RemoteProtocolError, match=r"0x41.*DLE EOT 2"):
        check.receive_data(b"A")
    assert check.done
    assert check.result() == {C.NO_REPLY}


def test_a_reply_byte_nobody_asked_for_is_ignored_not_taken_as_the_next_answer():
    check = StatusCheck()
    check.receive_data(bytes([IDLE | 0x60]))  # a late reply from an earlier round
    check.next_request()
    check.receive_data(bytes([IDLE | 0x08, IDLE]))  # the answer, then a repeat
    assert check.next_request() == request(2)
    check.no_reply()
    assert check.result() == {C.OFFLINE, C.NO_REPLY}


def test_late_reply_after_the_round_is_ignored():
    check = run(bytes([IDLE, IDLE, IDLE]))
    check.receive_data(bytes([IDLE | 0x60]))
    assert check.result() == {C.OK}


def test_receive_data_takes_bytes_only():
    with pytest.raises(LocalProtocolError, match="bytes"):
        StatusCheck().receive_data("\x12")


replies = st.lists(st.integers(0, 15).map(lambda low: (low & 0x3) << 2 | (low & 0xC) << 3 | 0x12), min_size=3,
                   max_size=3)


@given(replies)
def test_byte_at_a_time_equals_whole(reply_bytes):
    whole = run(bytes(reply_bytes))
    split = StatusCheck()
    for reply in reply_bytes:
        split.next_request()
        split.receive_data(b"")
        split.receive_data(bytes([reply]))
    assert whole.result() == split.result()
    assert (whole.result() == {C.OK}) == all(parse_reply(n, byte) == {C.OK} for n, byte in zip(QUERIES, reply_bytes,
                                                                                             strict=True))


@given(st.lists(st.binary(max_size=6), max_size=8), st.booleans())
def test_random_bytes_only_ever_raise_remote_protocol_error(chunks, give_up):
    check = StatusCheck()
    for chunk in chunks:
        if not check.done and check.awaiting is None:
            check.next_request()
        with contextlib.suppress(RemoteProtocolError):
            check.receive_data(chunk)
        if give_up and not check.done and check.awaiting is not None:
            check.no_reply()
    if check.done:
        result = check.result()
        assert result == {C.OK} or C.OK not in result
        assert printable(result) == (result <= {C.OK, C.PAPER_NEAR_END})
