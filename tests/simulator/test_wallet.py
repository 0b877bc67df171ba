"""The wallet of test cards: the right numbers, each built to pass or to fail one named check."""

from domain.card import luhn_valid
from domain.events import EntryMode, ReadCheck
from drivers.cardreader.checks import check_read
from drivers.cardreader.tracks import TRACK1_MAX, TRACK2_MAX, parse_track1, parse_track2
from simulator.cardreader.wallet import VALID_KEYS, WALLET, track1, track2, track2_equivalent
from tests.drivers.cardreader.strategies import TODAY


def test_the_wallet_holds_the_cards_qa_asks_for():
    pans = {key: card.pan for key, card in WALLET.items()}
    assert pans["visa"] == "4111111111111111" and pans["mastercard"] == "5555555555554444"
    assert pans["unionpay"] == "6200000000000005" and pans["unionpay_19"] == "6205500000000000004"
    assert pans["amex"] == "378282246310005" and pans["luhn_invalid"] == "4242424242424241"
    assert pans["visa_other"] == "4012888888881881"  # the wrong card of the visa/visa_other pair
    assert VALID_KEYS == ("visa", "mastercard", "unionpay", "unionpay_19", "amex", "visa_other")
    assert {WALLET[key].fails for key in ("expired", "bad_service", "luhn_invalid")} == {
        ReadCheck.EXPIRY, ReadCheck.SERVICE_CODE, ReadCheck.LUHN}
    assert all(card.key == key for key, card in WALLET.items())


def test_valid_cards_expire_far_in_the_future_and_pass_luhn():
    for key in VALID_KEYS:
        card = WALLET[key]
        assert card.expiry == "3012" and luhn_valid(card.pan)


def test_each_card_passes_or_fails_exactly_as_labelled():
    for card in WALLET.values():
        tracks = (parse_track2(track2(card)[1:-1]), parse_track1(track1(card)[1:-1]))
        result = check_read(tracks, EntryMode.SWIPE, TODAY)
        if card.fails is None:
            assert result.card == card.to_card()
        else:
            assert result.check is card.fails


def test_tracks_fit_iso_7813_and_parse_back():
    for card in WALLET.values():
        one, two = track1(card), track2(card)
        assert one.startswith("%B") and one.endswith("?") and len(one) - 2 <= TRACK1_MAX
        assert two.startswith(";") and two.endswith("?") and len(two) - 2 <= TRACK2_MAX
        assert parse_track1(one[1:-1]).pan == parse_track2(two[1:-1]).pan == card.pan
        assert two[1:-1] == track2_equivalent(card)


def test_a_test_card_does_not_show_its_number():
    card = WALLET["visa"]
    assert card.pan not in repr(card) and str(card.masked) == "411111******1111"
