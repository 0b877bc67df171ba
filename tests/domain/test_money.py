import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import Money, MoneyError


@pytest.mark.parametrize("text, minor", [("58", 5800), ("58.00", 5800), ("58.5", 5850), ("0.01", 1),
                                         (" 1200.99 ", 120099), ("0", 0)])
def test_parses_exactly(text, minor):
    assert Money.parse(text) == Money(minor, "CNY")


@pytest.mark.parametrize("text, reason", [
    ("58.001", "3 decimal places; CNY allows 2"),
    ("-5", "negative"),
    ("5,00", "not a number"),
    ("", "not a number"),
    ("1e3", "not a number"),
    ("58.", "not a number"),
    ("١٢", "not a number"),  # Arabic-Indic digits are not accepted as an amount
])
def test_rejects_with_the_reason(text, reason):
    with pytest.raises(MoneyError, match=reason):
        Money.parse(text)


def test_floats_are_refused_everywhere():
    with pytest.raises(MoneyError, match="floats are never used"):
        Money.parse(58.0)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="integer number of minor units"):
        Money(58.0)  # type: ignore[arg-type]


def test_currency_exponents():
    assert Money.parse("500", "JPY").minor == 500
    with pytest.raises(MoneyError, match="JPY allows 0"):
        Money.parse("5.5", "JPY")
    with pytest.raises(MoneyError, match="unknown currency"):
        Money.parse("1", "XXX")
    assert Money(5800).numeric_code == "156"


def test_arithmetic_keeps_currency():
    assert Money(100) + Money(250) == Money(350)
    with pytest.raises(MoneyError):
        Money(100) + Money(100, "USD")
    with pytest.raises(MoneyError, match="negative"):
        Money(100) - Money(200)


def test_more_than_twelve_digits_of_minor_units_is_refused_by_name():
    assert Money.parse("9999999999.99") == Money(10**12 - 1)
    for text in ("10000000000", "0" * 50 + "10000000000.00", "9" * 4400):
        with pytest.raises(MoneyError) as refused:
            Money.parse(text)
        assert refused.value.code == "too_large"
    assert Money.parse("0" * 50 + "58.00") == Money(5800)


@given(st.integers(min_value=0, max_value=10**12 - 1), st.sampled_from(["CNY", "JPY", "USD"]))
def test_text_round_trip(minor, currency):
    money = Money(minor, currency)
    assert Money.parse(money.amount_text(), currency) == money
    assert Money.from_json(money.to_json()) == money
