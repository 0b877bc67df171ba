"""Message builders and readers: exact fields, codec round trips, and nothing of the card kept."""

from __future__ import annotations

from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.journal.guard import check_payload
from domain.card import luhn_valid
from domain.events import EntryMode, HostResponse
from domain.ids import Rrn, Stan
from domain.money import Money
from drivers.errors import LocalProtocolError, RemoteProtocolError
from drivers.host.codec import decode, encode
from drivers.host.messages import (
    RESPONSE_CODES,
    Terminal,
    describe,
    echo,
    journal_safe,
    parse_response,
    purchase,
    refund,
    response_code,
    reversal,
    settlement,
    void,
)
from tests.drivers.host.helpers import AT, CARD, PAN, TERMINAL, amounts, cards, entry_modes, stans, times

APPROVAL = HostResponse(Stan(7), "00", Rrn("600105000001"), "A1B2C3")


def original(stan: int = 7) -> dict[str, str]:
    return purchase(CARD, Money(5800), EntryMode.CHIP, at=AT, terminal=TERMINAL, stan=Stan(stan))


def round_trips(fields: dict[str, str]) -> None:
    assert decode(encode(fields)) == fields


def test_a_purchase_carries_every_field_of_the_design():
    assert PAN and luhn_valid(PAN)
    assert original() == {
        "t": "0200", "2": PAN, "3": "000000", "4": "000000005800", "7": "0105153015", "11": "000007",
        "12": "233015", "13": "0105", "14": "2912", "22": "051", "25": "00", "35": f"{PAN}=2912201",
        "41": "TERM0001", "42": "MERCHANT0000001", "49": "156",
    }


def test_local_time_and_date_are_in_the_zone_of_the_time_given():
    just_after_midnight = AT.replace(hour=0, minute=30)  # still the day before in UTC
    fields = purchase(CARD, Money(1), EntryMode.TAP, at=just_after_midnight, terminal=TERMINAL)
    assert (fields["7"], fields["12"], fields["13"]) == ("0104163015", "003015", "0105")
    in_utc = purchase(CARD, Money(1), EntryMode.TAP, at=just_after_midnight.astimezone(UTC), terminal=TERMINAL)
    assert (in_utc["7"], in_utc["12"], in_utc["13"]) == ("0104163015", "163015", "0104")


@pytest.mark.parametrize(("mode", "code"), [(EntryMode.SWIPE, "021"), (EntryMode.CHIP, "051"),
                                            (EntryMode.TAP, "071"), (EntryMode.FALLBACK, "801")])
def test_entry_modes(mode, code):
    assert purchase(CARD, Money(1), mode, at=AT, terminal=TERMINAL)["22"] == code


@given(cards, amounts, entry_modes, times, stans)
def test_purchase_round_trips(card, amount, mode, at, stan):
    fields = purchase(card, amount, mode, at=at, terminal=TERMINAL, stan=stan)
    round_trips(fields)
    assert int(fields["4"]) == amount.minor and fields["11"] == str(stan)
    assert fields["7"] == at.astimezone(UTC).strftime("%m%d%H%M%S")
    assert (fields["12"], fields["13"]) == (at.strftime("%H%M%S"), at.strftime("%m%d"))
    assert fields["35"] == f"{card.pan}={card.expiry}{card.service_code}"


def test_without_a_stan_the_link_assigns_one():
    assert "11" not in purchase(CARD, Money(1), EntryMode.CHIP, at=AT, terminal=TERMINAL)


def test_void_references_the_original_and_carries_no_card_unless_presented():
    fields = void(journal_safe(original()), APPROVAL, at=AT, terminal=TERMINAL, stan=Stan(8))
    assert fields == {
        "t": "0200", "3": "020000", "4": "000000005800", "7": "0105153015", "11": "000008", "12": "233015",
        "13": "0105", "25": "00", "37": "600105000001", "38": "A1B2C3", "41": "TERM0001",
        "42": "MERCHANT0000001", "49": "156", "90": "0200000007" + "0105153015" + "0" * 22,
    }
    presented = void(original(), APPROVAL, at=AT, terminal=TERMINAL, card=CARD, entry_mode=EntryMode.SWIPE)
    assert (presented["2"], presented["22"]) == (PAN, "021")


def test_a_void_needs_an_approval_of_that_very_request():
    with pytest.raises(LocalProtocolError, match="approved"):
        void(original(), HostResponse(Stan(7), "05"), at=AT, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="does not answer request 000009"):
        void(original(9), APPROVAL, at=AT, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="entry mode"):
        void(original(), APPROVAL, at=AT, terminal=TERMINAL, card=CARD)
    with pytest.raises(LocalProtocolError, match="not a 0200/000000"):
        void(void(original(), APPROVAL, at=AT, terminal=TERMINAL, stan=Stan(7)), APPROVAL, at=AT,
             terminal=TERMINAL)


def test_refund_of_at_most_the_original_amount():
    fields = refund(original(), APPROVAL, Money(800), at=AT, terminal=TERMINAL)
    assert (fields["3"], fields["4"], fields["37"]) == ("200000", "000000000800", "600105000001")
    with pytest.raises(LocalProtocolError, match="exceeds"):
        refund(original(), APPROVAL, Money(5801), at=AT, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="exceeds or differs"):
        refund(original(), APPROVAL, Money(100, "USD"), at=AT, terminal=TERMINAL)


@given(cards, amounts, entry_modes, times, stans, stans)
def test_void_and_refund_round_trip(card, amount, mode, at, first, second):
    sale = purchase(card, amount, mode, at=at, terminal=TERMINAL, stan=first)
    approval = HostResponse(first, "00", Rrn("ABC123456789"), "000001")
    round_trips(void(journal_safe(sale), approval, at=at, terminal=TERMINAL, stan=second))
    round_trips(refund(sale, approval, amount, at=at, terminal=TERMINAL, card=card, entry_mode=mode, stan=second))


def test_reversal_carries_original_data_elements_and_no_card():
    fields = reversal(journal_safe(original()), at=AT.replace(second=45))
    assert fields == {"t": "0400", "3": "000000", "4": "000000005800", "7": "0105153045", "41": "TERM0001",
                      "42": "MERCHANT0000001", "49": "156", "90": "0200000007" "0105153015" + "0" * 22}
    assert len(fields["90"]) == 42
    repeat = reversal(original(), at=AT, repeat=True, stan=Stan(12))
    assert (repeat["t"], repeat["11"]) == ("0401", "000012")


def test_only_a_purchase_request_is_reversed():
    with pytest.raises(LocalProtocolError, match="only a 0200"):
        reversal({"t": "0800"}, at=AT)
    with pytest.raises(LocalProtocolError, match="lacks field"):
        reversal({"t": "0200", "3": "000000"}, at=AT)


@given(cards, amounts, entry_modes, times, stans, st.booleans())
def test_reversal_round_trips(card, amount, mode, at, stan, repeat):
    sale = purchase(card, amount, mode, at=at, terminal=TERMINAL, stan=stan)
    fields = reversal(journal_safe(sale), at=at, repeat=repeat, stan=stan)
    round_trips(fields)
    assert fields["90"][:20] == "0200" + sale["11"] + sale["7"]


def test_echo():
    assert echo() == {"t": "0800", "70": "301"}
    assert echo(at=AT, stan=Stan(3)) == {"t": "0800", "70": "301", "7": "0105153015", "11": "000003"}
    round_trips(echo(at=AT, stan=Stan(3)))


def test_settlement_totals():
    fields = settlement(at=AT, terminal=TERMINAL, credits_count=1, credits_amount=Money(800),
                        debits_count=12, debits_amount=Money(123456), stan=Stan(40))
    assert {key: fields[key] for key in ("t", "74", "76", "86", "88", "49")} == {
        "t": "0500", "74": "0000000001", "76": "0000000012", "86": "0000000000000800",
        "88": "0000000000123456", "49": "156"}
    round_trips(fields)
    with pytest.raises(LocalProtocolError, match="counts"):
        settlement(at=AT, terminal=TERMINAL, credits_count=-1, credits_amount=Money(0), debits_count=0,
                   debits_amount=Money(0))
    with pytest.raises(LocalProtocolError, match="terminal's currency"):
        settlement(at=AT, terminal=TERMINAL, credits_count=0, credits_amount=Money(0, "USD"), debits_count=0,
                   debits_amount=Money(0))


def test_mistakes_are_ours_and_say_so():
    with pytest.raises(LocalProtocolError, match="no time zone"):
        purchase(CARD, Money(1), EntryMode.CHIP, at=AT.replace(tzinfo=None), terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="positive"):
        purchase(CARD, Money(0), EntryMode.CHIP, at=AT, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="fit 12 digits"):
        purchase(CARD, Money(10**12), EntryMode.CHIP, at=AT, terminal=TERMINAL)
    with pytest.raises(LocalProtocolError, match="terminal's currency 156"):
        purchase(CARD, Money(100, "USD"), EntryMode.CHIP, at=AT, terminal=TERMINAL)


@pytest.mark.parametrize(("args", "problem"), [
    (("TERM001", "MERCHANT0000001"), "terminal id must be 8"),
    (("TERM0001", "MERCHANT"), "merchant id must be 15"),
    (("TERM\n001", "MERCHANT0000001"), "terminal id"),
    (("TERM0001", "MERCHANT0000001", "999"), "currency"),
])
def test_terminal_is_checked_when_configured(args, problem):
    with pytest.raises(ValueError, match=problem):
        Terminal(*args)


def test_journal_safe_masks_the_pan_and_drops_track_data():
    safe = journal_safe(original())
    assert safe["2"] == "622202*********0128" and "35" not in safe
    assert journal_safe({"2": "12345"})["2"] == "*****"
    assert original()["2"] == PAN  # the message itself is untouched


@given(cards, amounts, entry_modes, times, stans)
def test_the_journal_accepts_every_journal_safe_message(card, amount, mode, at, stan):
    sale = purchase(card, amount, mode, at=at, terminal=TERMINAL, stan=stan)
    approval = HostResponse(stan, "00", Rrn("ABC123456789"), "000001")
    for fields in (sale, void(sale, approval, at=at, terminal=TERMINAL, card=card, entry_mode=mode),
                   refund(sale, approval, amount, at=at, terminal=TERMINAL, card=card, entry_mode=mode),
                   reversal(sale, at=at), echo(at=at)):
        check_payload("host_request", journal_safe(fields))


def test_response_codes():
    assert set(RESPONSE_CODES) == {"00", "05", "14", "25", "30", "51", "54", "91", "94", "96"}
    assert describe("00").approved and not any(describe(c).approved for c in RESPONSE_CODES if c != "00")
    assert describe("51").meaning == "insufficient funds"
    assert describe("25").meaning == "no such record"  # what an inquiry answers for a sale not paid
    unknown = describe("Q7")
    assert (unknown.approved, unknown.meaning) == (False, "declined, unknown reason (code Q7)")


def test_parse_response():
    reply = {"t": "0210", "11": "000007", "39": "00", "37": "600105000001", "38": "A1B2C3"}
    assert parse_response(reply) == APPROVAL
    assert parse_response({"t": "0410", "11": "000007", "39": "00"}) == HostResponse(Stan(7), "00")
    assert parse_response({"t": "0210", "11": "000007", "39": "05", "38": "      "}).auth_code is None
    assert response_code(reply) == "00"


@pytest.mark.parametrize(("fields", "problem"), [
    ({"t": "0210", "39": "00"}, "no field 11"),
    ({"t": "0210", "11": "00007x", "39": "00"}, "field 11"),
    ({"t": "0210", "11": "000000", "39": "00"}, "field 11"),
    ({"t": "0210", "11": "000007"}, "no field 39"),
    ({"t": "0210", "11": "000007", "39": "0 "}, "field 39"),
    ({"t": "0210", "11": "000007", "39": "00", "37": "12345678901!"}, "field 37"),
    ({"t": "0210", "11": "000007", "39": "00", "38": "A1\x00B2C"}, "field 38"),
])
def test_a_bad_response_names_the_field(fields, problem):
    with pytest.raises(RemoteProtocolError, match=problem):
        parse_response(fields)
