"""The 0600 status inquiry: its fields, its mistakes, and the link matching its 0610 like any answer."""

from __future__ import annotations

import pytest
from hypothesis import given

from agent.journal.guard import check_payload
from domain.events import EntryMode, HostResponse
from domain.ids import Rrn, Stan
from domain.money import Money
from drivers.errors import LocalProtocolError
from drivers.host.codec import decode, encode
from drivers.host.link import Response, UnmatchedResponse, response_mti
from drivers.host.messages import INQUIRY, Terminal, inquiry, journal_safe, parse_response, purchase, void
from tests.drivers.host.helpers import (
    AT,
    CARD,
    TERMINAL,
    amounts,
    answer,
    cards,
    connected,
    drain,
    entry_modes,
    sent,
    stans,
    times,
    wire,
)

LATER = AT.replace(minute=45, second=0)


def original(stan: int = 7) -> dict[str, str]:
    return journal_safe(purchase(CARD, Money(5800), EntryMode.CHIP, at=AT, terminal=TERMINAL, stan=Stan(stan)))


def test_an_inquiry_names_its_sale_by_field_90_and_carries_no_card():
    fields = inquiry(original(), at=LATER, terminal=TERMINAL, stan=Stan(12))
    assert fields == {
        "t": "0600", "3": "330000", "4": "000000005800", "7": "0105154500", "11": "000012", "12": "234500",
        "13": "0105", "41": "TERM0001", "42": "MERCHANT0000001", "49": "156",
        "90": "0200000007" "0105153015" + "0" * 22,
    }
    assert INQUIRY == "330000"
    assert decode(encode(fields)) == fields


def test_without_a_stan_the_link_assigns_one():
    assert "11" not in inquiry(original(), at=LATER, terminal=TERMINAL)


@given(cards, amounts, entry_modes, times, stans, stans)
def test_inquiry_round_trips_through_the_default_spec(card, amount, mode, at, first, second):
    sale = purchase(card, amount, mode, at=at, terminal=TERMINAL, stan=first)
    fields = inquiry(journal_safe(sale), at=at, terminal=TERMINAL, stan=second)
    assert decode(encode(fields)) == fields
    assert (fields["4"], fields["90"][:20]) == (sale["4"], "0200" + sale["11"] + sale["7"])
    check_payload("host_request", journal_safe(fields))


def test_only_a_purchase_is_inquired_about():
    with pytest.raises(LocalProtocolError, match="only a 0200 can be inquired about, not '0400'"):
        inquiry({"t": "0400"}, at=LATER, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="only a 0200 can be inquired about, not None"):
        inquiry({}, at=LATER, terminal=TERMINAL)
    approval = HostResponse(Stan(7), "00", Rrn("600105000001"), "A1B2C3")
    cancel = void(original(), approval, at=AT, terminal=TERMINAL, stan=Stan(8))
    with pytest.raises(LocalProtocolError, match="not a 0200/000000"):
        inquiry(cancel, at=LATER, terminal=TERMINAL)


@pytest.mark.parametrize("missing", ["3", "4", "7", "11", "41", "49"])
def test_an_original_lacking_a_field_is_named(missing):
    incomplete = {key: value for key, value in original().items() if key != missing}
    with pytest.raises(LocalProtocolError, match=f"lacks field\\(s\\) {missing}"):
        inquiry(incomplete, at=LATER, terminal=TERMINAL)


def test_another_terminals_sale_or_a_naive_time_is_our_mistake():
    other = Terminal("TERM0002", "MERCHANT0000001")
    with pytest.raises(LocalProtocolError, match="field 41 'TERM0001' is not this terminal"):
        inquiry(original(), at=LATER, terminal=other)
    with pytest.raises(LocalProtocolError, match="no time zone"):
        inquiry(original(), at=LATER.replace(tzinfo=None), terminal=TERMINAL)


def test_the_link_matches_an_0610_to_its_0600_and_nothing_else():
    assert response_mti("0600") == "0610"
    link = connected(last_stan=20)
    request = link.request(inquiry(original(), at=LATER, terminal=TERMINAL), 1.0, tag="inquiry-7")
    assert sent(link) == [request] and request["11"] == "000022"  # 000021 was the opening echo
    link.receive_data(wire(answer(request, t="0210")), 1.5)
    (wrong,) = drain(link)
    assert isinstance(wrong, UnmatchedResponse) and "does not answer the outstanding 0600" in wrong.reason
    reply = answer(request, **{"37": "600105000001", "38": "A1B2C3"})
    link.receive_data(wire(reply), 2.0)
    (event,) = drain(link)
    assert isinstance(event, Response) and event.tag == "inquiry-7" and event.response["t"] == "0610"
    assert parse_response(event.response) == HostResponse(Stan(22), "00", Rrn("600105000001"), "A1B2C3")
