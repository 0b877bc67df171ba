from datetime import date

import pytest

from domain.card import Card, CardHasher, Expiry, MaskedPan, luhn_valid, service_code_problem
from domain.ids import Rrn, Stan


@pytest.mark.parametrize("pan", ["4111111111111111", "5555555555554444", "6200000000000005",
                                 "6205500000000000004", "378282246310005"])
def test_wallet_cards_pass_luhn(pan):
    assert luhn_valid(pan)


@pytest.mark.parametrize("text", ["4242424242424241", "", "41111111111111a1", "４１１１"])
def test_luhn_rejects(text):
    assert not luhn_valid(text)


def test_masking_keeps_first_six_and_last_four():
    assert str(MaskedPan.of("4111111111111111")) == "411111******1111"
    assert str(MaskedPan.of("378282246310005")) == "378282*****0005"
    assert MaskedPan.parse("411111******1111") == MaskedPan.of("4111111111111111")
    with pytest.raises(ValueError):
        MaskedPan.parse("4111111111111111")


def test_card_never_shows_its_pan():
    card = Card("4111111111111111", Expiry(2030, 12), "201", "DOE/JOHN")
    assert "4111111111111111" not in repr(card) and "4111111111111111" not in str(card)
    assert "411111******1111" in repr(card)


def test_card_hash_is_keyed_and_stable():
    one, other = CardHasher(b"a" * 32), CardHasher(b"b" * 32)
    assert one("4111111111111111") == one("4111111111111111")
    assert one("4111111111111111") != other("4111111111111111")
    assert len(one("4111111111111111").hex) == 64
    assert "a" * 8 not in repr(one)
    with pytest.raises(ValueError):
        CardHasher(b"short")


def test_expiry_is_valid_through_the_end_of_its_month():
    expiry = Expiry.parse("2612")
    assert not expiry.expired_on(date(2026, 12, 31))
    assert expiry.expired_on(date(2027, 1, 1))
    for bad in ("2613", "26", "ab12", "2600"):
        with pytest.raises(ValueError):
            Expiry.parse(bad)


@pytest.mark.parametrize("code, problem", [("201", None), ("101", None), ("620", None),
                                           ("301", "unassigned first digit 3"), ("203", "ATM use only"),
                                           ("2a1", "not three digits"), ("21", "not three digits")])
def test_service_code(code, problem):
    found = service_code_problem(code)
    assert (found is None) if problem is None else (problem in found)


def test_stan_wraps_and_rrn_shape():
    assert Stan(999_999).next() == Stan(1)
    assert str(Stan(42)) == "000042" and Stan.parse("000042") == Stan(42)
    for bad in (0, 1_000_000, True):
        with pytest.raises(ValueError):
            Stan(bad)
    assert str(Rrn("602512345678")) == "602512345678"
    with pytest.raises(ValueError):
        Rrn("12345")
