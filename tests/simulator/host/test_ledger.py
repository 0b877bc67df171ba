"""Ledger semantics: holds, reversals, voids, refunds, settlement — the ground truth of "never charge twice"."""

import hashlib
from dataclasses import astuple

import pytest

from domain.clock import VirtualClock
from simulator.cardreader.wallet import WALLET
from simulator.host import CardKey, Kind
from simulator.host.core import AcquirerCore
from simulator.host.ledger import card_key

from .terminal import TID, refund, reversal, sale, settlement, void


@pytest.fixture
def host() -> AcquirerCore:
    return AcquirerCore(VirtualClock())


def answer(host: AcquirerCore, request: dict) -> dict:
    response = host.handle(request).response
    assert response is not None
    return response


def test_an_approved_sale_is_a_charge_and_a_reversal_releases_it(host):
    original = sale(1, 1234)
    assert answer(host, original)["39"] == "00"
    assert host.ledger.net_charge("visa") == 1234
    response = answer(host, reversal(original))
    assert (response["t"], response["39"], response["11"]) == ("0410", "00", "000001")
    assert host.ledger.net_charge("visa") == 0
    assert host.ledger.entry(TID, 1).status == "reversed"


def test_repeated_reversals_are_acknowledged_and_change_nothing(host):
    original = sale(1, 1234)
    answer(host, original)
    answer(host, sale(2, 500))
    for _ in range(3):
        assert answer(host, reversal(original, repeat=True))["39"] == "00"
    assert host.ledger.net_charge("visa") == 500
    actions = [event.action for event in host.ledger.history]
    assert actions == ["authorized", "authorized", "reversed", "reversal ignored", "reversal ignored"]


def test_a_reversal_with_its_own_stan_matches_the_original_through_field_90(host):
    original = sale(1, 1234)
    answer(host, original)
    assert answer(host, reversal(original, stan=2))["11"] == "000002"
    assert host.ledger.net_charge("visa") == 0


def test_reversing_a_declined_authorization_is_acknowledged_and_an_unknown_one_is_answered_25(host):
    declined = sale(1, 1051)
    assert answer(host, declined)["39"] == "51"
    assert answer(host, reversal(declined))["39"] == "00"  # it held nothing: done
    assert answer(host, reversal(sale(99, 1000)))["39"] == "25"  # unable to locate the original
    assert answer(host, reversal(sale(99, 1000), repeat=True))["39"] == "25"
    assert host.ledger.net_charge("visa") == 0
    details = [event.detail for event in host.ledger.history if event.action == "reversal ignored"]
    assert details == ["original was declined 51: nothing to release", "no such transaction: nothing to release",
                       "no such transaction: nothing to release"]


def test_a_reversal_only_matches_its_own_terminal(host):
    original = sale(1, 1000)
    answer(host, original)
    answer(host, reversal(original | {"41": "T0000002"}))
    assert host.ledger.net_charge("visa") == 1000


def test_a_reversal_without_an_original_stan_is_a_format_error(host):
    original = sale(1, 1000)
    answer(host, original)
    assert answer(host, reversal(original) | {"90": "0200ABCDEF" + "0" * 32})["39"] == "30"
    assert answer(host, {k: v for k, v in reversal(original).items() if k != "90"})["39"] == "30"
    assert host.ledger.net_charge("visa") == 1000


def test_a_void_cancels_its_sale_by_rrn_and_reversing_the_void_brings_the_sale_back(host):
    rrn = answer(host, sale(1, 1000))["37"]
    response = answer(host, void(2, rrn, 1000))
    assert response["39"] == "00" and response["37"] != rrn and len(response["38"]) == 6
    assert host.ledger.net_charge("visa") == 0
    assert host.ledger.entry(TID, 1).status == "voided"
    assert host.ledger.entry(TID, 2).card == card_key("visa")  # the void knows the card from its sale
    answer(host, reversal(void(2, rrn, 1000)))
    assert host.ledger.net_charge("visa") == 1000


@pytest.mark.parametrize(("setup", "expected"), [
    ("unknown rrn", "25"),
    ("wrong amount", "13"),
    ("already voided", "12"),
    ("reversed", "12"),
    ("declined", "12"),
    ("settled", "12"),
    ("other terminal", "12"),
    ("partly refunded", "12"),
])
def test_a_void_must_name_a_live_sale_of_the_open_batch(host, setup, expected):
    original = sale(1, 1051 if setup == "declined" else 1000)
    rrn = answer(host, original)["37"]
    amount, request_tid = 1000, TID
    if setup == "unknown rrn":
        rrn = "999999999999"
    elif setup == "wrong amount":
        amount = 999
    elif setup == "already voided":
        assert answer(host, void(2, rrn, 1000))["39"] == "00"
    elif setup == "reversed":
        answer(host, reversal(original))
    elif setup == "settled":
        host.ledger.settle(host.clock.now())
    elif setup == "other terminal":
        request_tid = "T0000002"
    elif setup == "partly refunded":
        assert answer(host, refund(2, 100, rrn=rrn))["39"] == "00"
    assert answer(host, void(3, rrn, amount, tid=request_tid))["39"] == expected


def test_a_refund_credits_the_card_back(host):
    rrn = answer(host, sale(1, 1000))["37"]
    host.ledger.settle(host.clock.now())
    assert answer(host, refund(2, 400, rrn=rrn))["39"] == "00"
    assert host.ledger.net_charge("visa") == 600
    assert answer(host, refund(3, 700, rrn=rrn))["39"] == "13"  # more than is left of that sale
    assert answer(host, refund(4, 600, rrn=rrn))["39"] == "00"
    assert answer(host, refund(5, 100, rrn="000000000000"))["39"] == "25"
    assert host.ledger.net_charge("visa") == 0
    assert answer(host, refund(6, 250, "mastercard"))["39"] == "00"  # a refund needs no original
    assert host.ledger.net_charge("mastercard") == -250
    assert host.ledger.entry(TID, 6).kind is Kind.REFUND


def test_a_refund_naming_its_sale_needs_no_card_and_goes_back_to_the_card_charged(host):
    rrn = answer(host, sale(1, 1000, "amex"))["37"]
    host.ledger.settle(host.clock.now())
    without_card = {k: v for k, v in refund(2, 300, rrn=rrn).items() if k not in ("2", "14")}
    assert answer(host, without_card)["39"] == "00"
    assert host.ledger.net_charge("amex") == 700
    assert answer(host, refund(3, 300, "visa", rrn=rrn))["39"] == "12"  # not the card that paid
    assert host.ledger.net_charge("visa") == 0
    no_sale = {k: v for k, v in refund(4, 300).items() if k not in ("2", "14")}
    assert answer(host, no_sale)["39"] == "30"  # neither a card nor a sale: nothing to credit


def test_a_void_with_a_card_presented_must_present_the_card_charged(host):
    rrn = answer(host, sale(1, 1000))["37"]
    assert answer(host, void(2, rrn, 1000) | {"2": WALLET["mastercard"].pan})["39"] == "12"
    assert answer(host, void(3, rrn, 1000) | {"2": WALLET["visa"].pan})["39"] == "00"


def test_a_card_override_reaches_voids_and_refunds_through_their_sale(host):
    rrn = answer(host, sale(1, 1000))["37"]
    host.rules.set_card("visa", "05")
    assert answer(host, void(2, rrn, 1000))["39"] == "05"
    assert host.ledger.net_charge("visa") == 1000


def test_a_voided_sale_cannot_be_refunded_as_well(host):
    rrn = answer(host, sale(1, 1000))["37"]
    answer(host, void(2, rrn, 1000))
    assert answer(host, refund(3, 1000, rrn=rrn))["39"] == "12"
    assert host.ledger.net_charge("visa") == 0


def test_amount_endings_do_not_decline_refunds(host):
    assert answer(host, refund(1, 1051))["39"] == "00"


def test_a_reversed_refund_gives_the_credit_back(host):
    answer(host, sale(1, 1000))
    request = refund(2, 1000)
    answer(host, request)
    answer(host, reversal(request))
    assert host.ledger.net_charge("visa") == 1000


def test_net_charge_takes_a_wallet_key_a_pan_or_a_card_key(host):
    answer(host, sale(1, 1000, "unionpay_19"))
    pan = WALLET["unionpay_19"].pan
    assert host.ledger.net_charge("unionpay_19") == host.ledger.net_charge(pan) == 1000
    assert host.ledger.net_charge(CardKey.of(pan)) == 1000
    assert host.ledger.net_charge(pan, currency="USD") == 0
    with pytest.raises(ValueError, match="wallet key"):
        host.ledger.net_charge("vissa")


def test_the_ledger_keys_cards_by_mask_and_sha256_and_never_holds_the_pan(host):
    for number, card in enumerate(("visa", "amex", "unionpay_19", "luhn_invalid"), start=1):
        answer(host, sale(number, 1000, card))
    answer(host, reversal(sale(1, 1000)))
    pan = WALLET["amex"].pan
    assert host.ledger.entry(TID, 2).card == CardKey("378282*****0005", hashlib.sha256(pan.encode()).hexdigest())
    everything = repr(host.ledger) + "".join(repr(astuple(event)) for event in host.ledger.history)
    for card in WALLET.values():
        assert card.pan not in everything


def test_settling_closes_the_batch_so_a_stan_may_be_used_again(host):
    answer(host, sale(1, 1000))
    answer(host, sale(2, 1051))
    settled = host.ledger.settle(host.clock.now())
    assert [entry.stan for entry in settled] == [1]
    assert answer(host, sale(1, 2000))["39"] == "00"  # a new batch
    assert host.ledger.entry(TID, 1).amount.minor == 2000
    assert host.ledger.net_charge("visa") == 3000


def test_a_reversal_after_settlement_is_refused_12_and_the_charge_stands(host):
    original = sale(1, 1000)
    answer(host, original)
    answer(host, settlement(2, debits=(1, 1000)))
    for repeat in (False, True):  # the 0401 gets the same answer: it is not a matter of trying again
        response = answer(host, reversal(original, repeat=repeat))
        assert (response["t"], response["39"]) == ("0410", "12")
    assert host.ledger.net_charge("visa") == 1000
    assert host.ledger.entry(TID, 1).status == "settled"
    assert host.ledger.history[-1].detail == "already settled: too late to reverse, refund instead"


def test_a_reversal_after_the_hosts_own_end_of_day_is_refused_too(host):
    original = sale(1, 1000)
    answer(host, original)
    host.ledger.settle(host.clock.now())  # the acquirer's cut-over, not the terminal's 0500
    assert answer(host, reversal(original))["39"] == "12"
    assert host.ledger.net_charge("visa") == 1000


def test_the_note_of_a_reversal_says_what_it_found_and_the_code_it_answered(host):
    original = sale(1, 1000)
    answer(host, original)
    assert host.handle(reversal(original)).note == "reversal of STAN 000001: released (00)"
    assert host.handle(reversal(original, repeat=True)).note == \
        "reversal (repeat) of STAN 000001: already reversed: repeat acknowledged (00)"
    assert host.handle(reversal(sale(5, 1000))).note == \
        "reversal of STAN 000005: no such transaction: nothing to release (25)"
