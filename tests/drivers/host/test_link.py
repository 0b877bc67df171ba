"""The link core: STANs, matching, timers and dead-link detection, fed however the bytes arrive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.events import EntryMode
from domain.ids import Stan
from domain.money import Money
from drivers.errors import LocalProtocolError
from drivers.host.codec import frame
from drivers.host.link import (
    DuplicateResponse,
    HostLink,
    LateResponse,
    LinkAlive,
    LinkDead,
    Malformed,
    RequestTimedOut,
    RequestUnanswered,
    Response,
    UnmatchedResponse,
    response_mti,
)
from drivers.host.messages import echo, journal_safe, purchase, reversal
from tests.drivers.host.helpers import (
    AT,
    CARD,
    TERMINAL,
    answer,
    cards,
    connected,
    drain,
    sent,
    splits,
    wire,
)


def sale(amount: int = 5800) -> dict[str, str]:
    return purchase(CARD, Money(amount), EntryMode.CHIP, at=AT, terminal=TERMINAL)


def test_response_mti():
    assert [response_mti(m) for m in ("0200", "0400", "0401", "0800", "0500", "0220")] == [
        "0210", "0410", "0410", "0810", "0510", "0230"]


# -- connecting and requesting ---------------------------------------------------------------------------

def test_a_new_connection_is_proved_by_an_echo():
    link = HostLink(TERMINAL, last_stan=41)
    link.connection_made(10.0, AT)
    (probe,) = sent(link)
    assert probe == {"t": "0800", "7": "0105153015", "11": "000042", "41": "TERM0001", "70": "301"}
    link.receive_data(wire(answer(probe)), 10.25)
    assert drain(link) == [LinkAlive(0.25)]


def test_a_request_is_complete_before_any_byte_goes_out():
    link = connected(last_stan=41)
    fields = link.request(sale(), 1.0, tag="sale-1")
    assert fields == {**sale(), "11": "000043"}
    assert link.last_stan == 43
    assert sent(link) == [fields]
    assert sent(link) == []


def test_no_request_without_a_connection():
    link = HostLink(TERMINAL)
    with pytest.raises(LocalProtocolError, match="not connected"):
        link.request(sale(), 0.0, tag="s")
    with pytest.raises(LocalProtocolError, match="without a connection"):
        link.receive_data(b"\x00", 0.0)
    link.connection_made(0.0)
    with pytest.raises(LocalProtocolError, match="still open"):
        link.connection_made(0.0)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"t": "0210"}, "not a request MTI"),
    ({"41": "TERM0001"}, "not a request MTI"),
    ({"t": "0200", "41": "OTHER001"}, "not this link's terminal id"),
    ({**echo(), "11": "000005"}, "assigned by the link"),
    ({"t": "0200", "4": "58.00"}, "cannot encode"),
])
def test_requests_we_must_not_send(fields, problem):
    link = connected()
    with pytest.raises(LocalProtocolError, match=problem):
        link.request(fields, 0.0, tag="s")
    assert link.data_to_send() == b"" and link.last_stan == 1


def test_timeouts_and_settings_must_be_positive():
    with pytest.raises(LocalProtocolError, match="timeout must be positive"):
        connected().request(sale(), 0.0, tag="s", timeout=0)
    with pytest.raises(ValueError, match="echo_deadline"):
        HostLink(TERMINAL, echo_deadline=0)
    with pytest.raises(ValueError, match="last STAN"):
        HostLink(TERMINAL, last_stan=1_000_000)


def test_withdrawn_requests_never_leave():
    link = connected()
    kept, dropped = link.request(sale(), 0.0, tag="a"), link.request(sale(2), 0.0, tag="b")
    link.withdraw(dropped)
    assert sent(link) == [kept]
    link.receive_data(wire(answer(dropped)), 0.1)
    assert isinstance(drain(link)[0], UnmatchedResponse)
    with pytest.raises(LocalProtocolError, match="may be on the wire"):
        link.withdraw(kept)


# -- STANs -----------------------------------------------------------------------------------------------

def test_stan_wraps_after_999999():
    link = connected(last_stan=999_998)  # the opening echo took 999999
    assert link.request(sale(), 0.0, tag="s")["11"] == "000001"


def repeat_with(stan: int) -> dict[str, str]:
    return reversal({**sale(), "11": "000003"}, at=AT, repeat=True, stan=Stan(stan))


def test_stan_skips_numbers_outstanding_or_recently_answered():
    link = connected(last_stan=7)  # the opening echo took 8
    answered = link.request(repeat_with(10), 0.0, tag="answered")
    link.receive_data(wire(answer(answered)), 0.1)
    link.request(repeat_with(13), 0.1, tag="outstanding")
    assert [link.request(sale(), 0.2, tag="s")["11"] for _ in range(4)] == ["000009", "000011", "000012", "000014"]


def test_a_repeat_keeps_its_first_attempts_stan_but_not_while_that_is_outstanding():
    link = connected()
    first = link.request(reversal({**sale(), "11": "000003"}, at=AT), 0.0, tag="rev", timeout=5)
    with pytest.raises(LocalProtocolError, match="still outstanding"):
        link.request(repeat_with(int(first["11"])), 0.0, tag="rev")
    link.handle_timer(5.0)
    assert drain(link) == [RequestTimedOut("rev", journal_safe(first))]
    repeat = link.request(repeat_with(int(first["11"])), 5.0, tag="rev")
    link.receive_data(wire(answer(first)), 5.5)  # the 0410 answers the repeat: same reversal
    assert drain(link) == [Response("rev", journal_safe(repeat), answer(first))]


def test_a_repeat_with_a_bad_stan_is_refused():
    with pytest.raises(LocalProtocolError, match="STAN"):
        connected().request({**repeat_with(3), "11": "12"}, 0.0, tag="r")


# -- matching --------------------------------------------------------------------------------------------

def test_the_answer_is_applied_to_its_request_only():
    link = connected()
    first, second = link.request(sale(100), 0.0, tag="first"), link.request(sale(200), 0.0, tag="second")
    link.receive_data(wire(answer(second, **{"39": "51"})) + wire(answer(first)), 1.0)
    assert drain(link) == [Response("second", journal_safe(second), answer(second, **{"39": "51"})),
                           Response("first", journal_safe(first), answer(first))]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"t": "0410"}, "0410 does not answer the outstanding 0200 with STAN 000002"),
    ({"41": "OTHER001"}, "terminal id 'OTHER001' is not ours ('TERM0001')"),
    ({"41": None}, "no field 41 (terminal id)"),
    ({"11": None}, "no field 11 (STAN)"),
    ({"11": "000099"}, "0210 with STAN 000099 answers nothing sent in the last 600.0 s"),
    ({"t": "0200"}, "MTI '0200' is not a response"),
])
def test_what_does_not_match_is_applied_to_nothing(changes, reason):
    link = connected()
    request = link.request(sale(), 0.0, tag="s")
    response = answer(request, **changes)
    link.receive_data(wire(response), 1.0)
    assert drain(link) == [UnmatchedResponse(response, reason)]
    link.receive_data(wire(answer(request)), 2.0)  # the request was still waiting for its real answer
    assert drain(link) == [Response("s", journal_safe(request), answer(request))]


def test_a_second_answer_is_a_duplicate():
    link = connected()
    request = link.request(sale(), 0.0, tag="s")
    link.receive_data(wire(answer(request)) * 2, 1.0)
    assert drain(link) == [Response("s", journal_safe(request), answer(request)),
                           DuplicateResponse("s", answer(request))]


def test_a_second_answer_that_contradicts_the_first_is_a_duplicate_never_applied():
    """The switch approves, takes it back and answers again refusing: the approval stays the Response;
    the refusal is reported for the caller to act on (inquire), not applied over it."""
    link = connected()
    request = link.request(sale(), 0.0, tag="s")
    refusal = answer(request, **{"39": "96", "38": None})
    link.receive_data(wire(answer(request)) + wire(refusal), 1.0)
    assert drain(link) == [Response("s", journal_safe(request), answer(request)), DuplicateResponse("s", refusal)]


def run_until(link: HostLink, end: float, *, answer_echoes: bool = True) -> list:
    """Fire the link's timers up to `end`, the host answering each echo at once; return the events."""
    while (due := link.get_timer()) is not None and due <= end:
        link.handle_timer(due)
        for message in sent(link):
            if answer_echoes and message["t"] == "0800":
                link.receive_data(wire(answer(message)), due)
    return drain(link)


def test_an_answer_after_the_timeout_is_late_then_duplicate_then_forgotten():
    link = connected(late_window=60)
    request = link.request(sale(), 0.0, tag="s")
    sent(link)
    assert link.get_timer() == 5.0  # the idle echo comes first
    assert run_until(link, 29.9) == [LinkAlive(0.0)] * 5
    assert run_until(link, 30.0) == [RequestTimedOut("s", journal_safe(request)), LinkAlive(0.0)]
    link.receive_data(wire(answer(request)) * 2, 31.0)
    assert drain(link) == [LateResponse("s", answer(request)), DuplicateResponse("s", answer(request))]
    link.receive_data(wire(answer(request)), 90.0)
    assert [type(e) for e in drain(link)] == [UnmatchedResponse]


def test_the_timeout_is_per_request():
    link = connected(auth_timeout=12)
    slow, quick = link.request(sale(), 0.0, tag="slow"), link.request(echo(), 0.0, tag="mine", timeout=3)
    sent(link)
    assert run_until(link, 3.0) == [RequestTimedOut("mine", journal_safe(quick))]
    assert run_until(link, 11.9) == [LinkAlive(0.0)] * 2
    assert run_until(link, 12.0) == [RequestTimedOut("slow", journal_safe(slow))]


# -- dead links ------------------------------------------------------------------------------------------

def test_silence_brings_an_echo_and_an_unanswered_echo_kills_the_link_in_seconds():
    link = connected(now=1.0)
    request = link.request(sale(), 2.0, tag="s")
    sent(link)
    assert link.get_timer() == 6.0
    link.receive_data(wire(answer(echo() | {"11": "000099", "41": "TERM0001"})), 3.0)  # anything received...
    drain(link)
    assert link.get_timer() == 8.0  # ...restarts the idle count
    link.handle_timer(8.0, AT)
    (probe,) = sent(link)
    assert probe == {"t": "0800", "7": "0105153015", "11": "000003", "41": "TERM0001", "70": "301"}
    assert link.get_timer() == 10.0
    link.handle_timer(9.99)
    assert drain(link) == []
    link.handle_timer(10.0)
    assert drain(link) == [LinkDead("no answer to echo within 2.0 s")]
    assert not link.connected and link.get_timer() is None
    link.receive_data(wire(answer(probe)), 10.5)  # too late, and ignored: the connection is being dropped
    with pytest.raises(LocalProtocolError, match=r"the link is dead \(no answer to echo within 2.0 s\)"):
        link.request(sale(), 10.5, tag="t")
    link.connection_lost(10.6, "no answer to echo within 2.0 s")
    assert drain(link) == [RequestUnanswered("s", journal_safe(request), "no answer to echo within 2.0 s")]


def test_echo_timing_is_configurable():
    link = connected(echo_interval=1.5, echo_deadline=0.5)
    assert run_until(link, 1.5, answer_echoes=False) == []
    assert run_until(link, 2.0, answer_echoes=False) == [LinkDead("no answer to echo within 0.5 s")]


def test_losing_the_connection_leaves_every_outstanding_request_unanswered_at_once():
    link = connected()
    requests = [link.request(sale(n), 0.5, tag=f"s{n}") for n in (1, 2, 3)]
    link.handle_timer(5.0)  # an echo is outstanding too; it is the link's own and not reported
    link.connection_lost(5.5, "reset by peer")
    assert drain(link) == [RequestUnanswered(f"s{n}", journal_safe(r), "reset by peer")
                           for n, r in zip((1, 2, 3), requests, strict=True)]
    link.connection_lost(5.6, "again")  # already gone: nothing more to say
    assert drain(link) == [] and link.data_to_send() == b""
    link.connection_made(6.0)
    (probe,) = sent(link)
    link.receive_data(wire(answer(probe)) + wire(answer(requests[1])), 6.1)
    assert drain(link) == [LinkAlive(pytest.approx(0.1)), LateResponse("s2", answer(requests[1]))]


def test_a_broken_length_header_kills_the_link():
    link = connected()
    link.request(sale(), 0.0, tag="s")
    link.receive_data(b"\x00\x00" + wire(answer(echo() | {"11": "000002", "41": "TERM0001"})), 1.0)
    (dead,) = drain(link)
    assert isinstance(dead, LinkDead) and dead.reason.startswith("framing lost: length header 0000")
    assert link.data_to_send() == b""


def test_a_message_that_does_not_decode_is_reported_and_the_link_carries_on():
    link = connected()
    request = link.request(sale(), 0.0, tag="s")
    link.receive_data(frame(b"0210zzzz") + wire(answer(request)), 1.0)
    malformed, response = drain(link)
    assert isinstance(malformed, Malformed) and "malformed ISO 8583 message" in malformed.detail
    assert response == Response("s", journal_safe(request), answer(request))


# -- card data -------------------------------------------------------------------------------------------

@given(cards)
def test_no_event_carries_a_pan(card):
    link = connected()
    request = link.request(purchase(card, Money(1), EntryMode.SWIPE, at=AT, terminal=TERMINAL), 0.0, tag="s")
    echoed = answer(request, **{"2": card.pan, "35": request["35"]})  # a host that echoes the card back
    link.receive_data(wire(echoed) * 2, 1.0)
    events = drain(link)
    link.request(purchase(card, Money(1), EntryMode.SWIPE, at=AT, terminal=TERMINAL), 1.0, tag="t")
    link.connection_lost(2.0, "gone")
    events += drain(link)
    assert len(events) == 3
    for event in events:
        assert card.pan not in repr(event)


# -- however the bytes arrive ----------------------------------------------------------------------------

def scripted_stream(link: HostLink) -> bytes:
    """Answers, duplicates, strangers and junk for three outstanding requests."""
    a, b, c = (link.request(sale(n), 0.0, tag=f"s{n}") for n in (1, 2, 3))
    return b"".join([
        wire(answer(b)), wire(answer(a, **{"39": "05"})), frame(b"0210junk"), wire(answer(b)),
        wire(answer(c, **{"41": "OTHER001"})), wire(answer(c, **{"t": "0810"})), wire(answer(c)),
        wire(answer(echo() | {"11": "777777", "41": "TERM0001"})),
    ])


def events_for(chunks: list[bytes]) -> list:
    link = connected()
    scripted_stream(link)
    for chunk in chunks:
        link.receive_data(chunk, 1.0)
    return drain(link)


def test_byte_at_a_time_gives_the_same_events():
    stream = scripted_stream(connected())
    whole = events_for([stream])
    assert len(whole) == 8
    assert events_for([bytes([byte]) for byte in stream]) == whole


@given(st.data())
def test_random_splits_give_the_same_events(data):
    stream = scripted_stream(connected())
    assert events_for(data.draw(splits(stream))) == events_for([stream])


@given(st.lists(st.binary(max_size=64), max_size=8), st.booleans())
def test_garbage_yields_events_only(chunks, framed):
    link = connected()
    link.request(sale(), 0.0, tag="s")
    for chunk in chunks:  # stronger than "events or DriverError": what the host sends never raises
        link.receive_data(frame(chunk) if framed and chunk else chunk, 1.0)
    for event in drain(link):
        assert isinstance(event, Malformed | UnmatchedResponse | LinkDead | Response | DuplicateResponse)
