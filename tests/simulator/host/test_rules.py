"""Response-code rules, driven through the acquirer's core (no sockets needed to decide a code)."""

import re

import pytest

from domain.clock import VirtualClock
from simulator.cardreader.wallet import VALID_KEYS, WALLET
from simulator.host.core import AcquirerCore
from simulator.host.rules import AMOUNT_ENDINGS, Ids, Rules

from .terminal import TID, echo, refund, reversal, sale, settlement, void


def core(**options) -> AcquirerCore:
    return AcquirerCore(VirtualClock(), **options)


def code(acquirer: AcquirerCore, request: dict) -> str:
    response = acquirer.handle(request).response
    assert response is not None
    return response["39"]


@pytest.mark.parametrize("card", [*VALID_KEYS, "expired", "bad_service"])
def test_every_luhn_valid_wallet_card_is_approved_expiry_and_service_code_are_the_readers_job(card):
    acquirer = core()
    response = acquirer.handle(sale(1, 1000, card)).response
    assert response["39"] == "00"
    assert re.fullmatch(r"[0-9A-Z]{6}", response["38"])
    assert re.fullmatch(r"[0-9]{12}", response["37"])


def test_a_card_number_that_fails_luhn_is_an_invalid_card():
    acquirer = core()
    response = acquirer.handle(sale(1, 1000, "luhn_invalid")).response
    assert response["39"] == "14" and "38" not in response
    assert acquirer.ledger.entry(TID, 1).response_code == "14"


@pytest.mark.parametrize("pan", ["4111111111111112", "41111", "4111111111111111111111", "41111111111A1111"])
def test_numbers_that_cannot_be_cards_are_invalid(pan):
    assert code(core(), sale(1, 1000) | {"2": pan[:19]}) == "14"


@pytest.mark.parametrize(("minor", "expected"), [
    (1051, "51"), (1054, "54"), (1005, "05"), (1014, "14"), (1091, "91"), (1096, "96"),
    (1000, "00"), (1099, "00"), (51, "51"), (5, "05"), (15100, "00"), (1, "00"),
])
def test_the_last_two_digits_of_the_amount_choose_the_answer(minor, expected):
    assert code(core(), sale(1, minor)) == expected


def test_the_amount_endings_table_is_the_documented_one():
    assert AMOUNT_ENDINGS == {51: "51", 54: "54", 5: "05", 14: "14", 91: "91", 96: "96"}


def test_declines_get_a_reference_but_no_authorization_code():
    response = core().handle(sale(1, 1051)).response
    assert response["39"] == "51" and "38" not in response and len(response["37"]) == 12


def test_a_zero_amount_is_an_invalid_amount():
    assert code(core(), sale(1, 0)) == "13"


def test_a_card_override_beats_the_card_and_amount_rules_until_cleared():
    acquirer = core()
    acquirer.rules.set_card("visa", "05")
    acquirer.rules.set_card("luhn_invalid", "00")
    assert code(acquirer, sale(1, 1000, "visa")) == "05"
    assert code(acquirer, sale(2, 1051, "visa")) == "05"
    assert code(acquirer, sale(3, 1000, "mastercard")) == "00"
    assert code(acquirer, sale(4, 1000, "luhn_invalid")) == "00"
    acquirer.rules.clear_card(WALLET["visa"].pan)
    assert code(acquirer, sale(5, 1000, "visa")) == "00"


def test_a_next_n_override_answers_that_many_money_requests_then_stops():
    acquirer = core()
    acquirer.rules.set_next(2, "91")
    assert code(acquirer, echo(1)) == "00"  # echoes do not count
    assert code(acquirer, sale(2, 1000)) == "91"
    assert code(acquirer, sale(3, 1000, "mastercard")) == "91"
    assert code(acquirer, sale(4, 1000)) == "00"


def test_a_next_n_override_replaces_the_previous_one_and_zero_cancels_it():
    rules = Rules()
    rules.set_next(5, "96")
    rules.set_next(1, "05")
    assert (rules.take_next(), rules.take_next()) == ("05", None)
    rules.set_next(3, "91")
    rules.set_next(0, "91")
    assert rules.take_next() is None


@pytest.mark.parametrize("bad", ["5", "051", "ab", "", " 5"])
def test_override_codes_are_two_digits_or_capitals(bad):
    with pytest.raises(ValueError, match="two digits"):
        Rules().set_next(1, bad)


def test_an_override_that_fails_a_reversal_leaves_the_hold_in_place():
    acquirer = core()
    original = sale(1, 1000)
    code(acquirer, original)
    acquirer.rules.set_next(1, "96")
    assert code(acquirer, reversal(original)) == "96"
    assert acquirer.ledger.net_charge("visa") == 1000
    assert code(acquirer, reversal(original, repeat=True)) == "00"
    assert acquirer.ledger.net_charge("visa") == 0


def test_expiry_is_checked_only_when_asked():
    acquirer = core()
    assert code(acquirer, sale(1, 1000, "expired")) == "00"
    acquirer.rules.check_expiry = True
    assert code(acquirer, sale(2, 1000, "expired")) == "54"
    assert code(acquirer, sale(3, 1000, "visa")) == "00"
    assert code(acquirer, sale(4, 1000, "visa") | {"14": "3013"}) == "30"


def test_a_sale_carrying_only_track_2_is_read_from_it():
    def track_only(stan, track2):
        return {k: v for k, v in sale(stan, 1000).items() if k not in ("2", "14")} | {"35": track2}

    acquirer = core()
    acquirer.rules.check_expiry = True
    assert code(acquirer, track_only(1, "4111111111111111=30122010000")) == "00"
    assert code(acquirer, track_only(2, "4000000000000002D20122010000")) == "54"
    assert acquirer.ledger.entry(TID, 1).card.masked == "411111******1111"


def test_a_repeated_stan_in_the_open_batch_is_a_duplicate_and_is_not_charged_again():
    acquirer = core()
    assert code(acquirer, sale(7, 1000)) == "00"
    assert code(acquirer, sale(7, 1000)) == "94"
    assert code(acquirer, sale(7, 2000, "mastercard")) == "94"
    assert acquirer.ledger.net_charge("visa") == 1000 and acquirer.ledger.net_charge("mastercard") == 0
    assert len(acquirer.ledger.entries) == 1
    assert code(acquirer, sale(7, 1000, tid="T0000002")) == "00"  # another terminal's STAN 7


@pytest.mark.parametrize(("change", "why"), [
    ({"3": "310000"}, "processing code"),
    ({"4": None}, "field 4"),
    ({"42": None}, "field 42"),
    ({"49": None}, "field 49"),
    ({"11": None}, "field 11"),
    ({"41": None}, "field 41"),
    ({"2": None, "14": None}, "without a card"),
    ({"4": "00000000010A"}, "not digits"),
    ({"49": "999"}, "currency"),
    ({"11": "000000"}, "STAN"),
])
def test_incomplete_or_malformed_requests_are_format_errors(change, why):
    request = sale(1, 1000)
    for field, value in change.items():
        request.pop(field) if value is None else request.__setitem__(field, value)
    handled = core().handle(request)
    assert handled.response["39"] == "30" and why in handled.note
    assert handled.response["t"] == "0210"


def test_an_unknown_request_mti_is_answered_with_a_format_error_and_a_response_is_not_answered():
    acquirer = core()
    assert acquirer.handle({"t": "0100", "11": "000001", "41": TID}).response == {
        "t": "0110", "11": "000001", "41": TID, "39": "30"}
    assert acquirer.handle({"t": "0221", "11": "000001", "41": TID}).response["t"] == "0230"
    assert acquirer.handle({"t": "0210", "11": "000001", "41": TID, "39": "00"}).response is None


def test_an_undecodable_message_is_answered_only_if_it_still_names_a_request_mti():
    acquirer = core()
    assert acquirer.malformed(b"0200garbage", "bad bitmap").response == {"t": "0210", "39": "30"}
    assert acquirer.malformed(b"\xff\xfe", "bad mti").response is None


def test_echo_test_is_answered_00_and_other_network_codes_are_format_errors():
    acquirer = core()
    assert acquirer.handle(echo(1)).response == {"t": "0810", "7": "0105100000", "11": "000001",
                                                 "41": TID, "70": "301", "39": "00"}
    assert code(acquirer, echo(2) | {"70": "001"}) == "30"


def test_responses_never_echo_card_data():
    acquirer = core()
    request = sale(1, 1000) | {"35": "4111111111111111=30122010000", "52": "0123456789ABCDEF"}
    response = acquirer.handle(request).response
    assert not {"2", "14", "35", "52"} & response.keys()
    assert "4111111111111111" not in repr(response)


def test_identifiers_are_the_same_for_the_same_seed_and_differ_across_seeds():
    def answers(seed):
        acquirer = core(seed=seed)
        return [(r["37"], r["38"]) for r in (acquirer.handle(sale(n, 1000)).response for n in (1, 2, 3))]

    assert answers(4) == answers(4)
    assert answers(4) != answers(5)


def test_the_rrn_is_year_digit_day_of_year_hour_then_a_six_digit_sequence():
    clock = VirtualClock()  # 2026-01-05 02:00 UTC
    ids = Ids(0)
    first, second = ids.rrn(clock.now()), ids.rrn(clock.now())
    assert first[:6] == "600502" and second[:6] == "600502"
    assert int(second[6:]) == (int(first[6:]) + 1) % 1_000_000


def test_settlement_totals_balance_or_not():
    acquirer = core()
    code(acquirer, sale(1, 1000))
    code(acquirer, sale(2, 2500, "mastercard"))
    code(acquirer, sale(3, 1051))  # declined: not in the totals
    code(acquirer, refund(4, 300))
    assert code(acquirer, settlement(5, debits=(2, 3500), credits=(0, 0))) == "95"
    assert acquirer.ledger.entry(TID, 1).batch is None  # out of balance leaves the batch open
    assert code(acquirer, settlement(6, debits=(2, 3500), credits=(1, 300))) == "00"
    assert acquirer.ledger.entry(TID, 1).settled
    assert code(acquirer, void(7, acquirer.ledger.entry(TID, 1).rrn, 1000)) == "12"


def test_allowed_lists_refuse_other_terminals_58_and_merchants_03():
    acquirer = core(allowed_terminals=frozenset({TID}), allowed_merchants=frozenset({"M00000000000001"}))
    assert code(acquirer, sale(1, 1000)) == "00"
    assert code(acquirer, sale(2, 1000, tid="T0000009")) == "58"
    assert code(acquirer, sale(3, 1000, mid="M00000000000009")) == "03"
    assert code(acquirer, echo(4, tid="T0000009")) == "58"
    assert code(acquirer, echo(5)) == "00"
    assert acquirer.ledger.net_charge("visa") == 1000
