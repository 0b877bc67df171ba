"""Card numbers in free text: the one rule the journal guard and the receipt door both refuse by."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.card import card_numbers, luhn_valid, mask_digit_runs


def with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("some check digit always fits")


pans = st.integers(12, 18).flatmap(
    lambda length: st.text("0123456789", min_size=length, max_size=length)
).map(with_check_digit)
separators = st.sampled_from(["", "", " ", "-"])
surroundings = st.text(st.characters(blacklist_categories=["Nd"]), max_size=8)


def written(pan: str, seps: list[str]) -> str:
    """The PAN as a person might print it: a single space or dash, or nothing, between any two digits."""
    return pan[0] + "".join(sep + digit for sep, digit in zip(seps, pan[1:], strict=True))


@pytest.mark.parametrize("text, found", [
    ("4111111111111111", ["4111111111111111"]),
    ("card 4111 1111 1111 1111 and 5555-5555-5555-4444.", ["4111111111111111", "5555555555554444"]),
    ("amex 378282246310005", ["378282246310005"]),
    ("6205500000000000004", ["6205500000000000004"]),
    ("4111111111111112", []),  # fails Luhn
    ("0000000000000018", []),  # Luhn-valid, but a zero-padded amount: no card number starts with 0
    ("411111111111", []),  # 12 digits: too short
    ("41111111111111111111", []),  # 20 digits in one run: too long, and not cut into a shorter one
    ("4111  1111 1111 1111", []),  # two spaces end a run; neither half is long enough
    ("x4111111111111111y", ["4111111111111111"]),
])
def test_card_numbers(text, found):
    assert card_numbers(text) == found


@given(pans, st.data(), surroundings, surroundings)
def test_a_card_number_written_in_text_is_found_without_its_separators(pan, data, before, after):
    seps = data.draw(st.lists(separators, min_size=len(pan) - 1, max_size=len(pan) - 1))
    found = card_numbers(before + written(pan, seps) + after)
    assert found == ([] if pan[0] == "0" else [pan])


@given(st.text(st.sampled_from("0123456789 -x")))
def test_whatever_is_found_is_a_luhn_valid_run_of_13_to_19_digits_in_the_text(text):
    for pan in card_numbers(text):
        assert 13 <= len(pan) <= 19 and pan[0] != "0" and luhn_valid(pan)
        assert re.search("[ -]?".join(pan), text)


@given(pans, st.data(), surroundings, surroundings)
def test_masking_hides_every_run_of_a_card_numbers_length_luhn_valid_or_not(pan, data, before, after):
    seps = data.draw(st.lists(separators, min_size=len(pan) - 1, max_size=len(pan) - 1))
    wrong = pan[:-1] + str((int(pan[-1]) + 1) % 10)
    masked = mask_digit_runs(before + written(wrong, seps) + after)
    assert masked == before + pan[:6] + "*" * (len(pan) - 10) + wrong[-4:] + after
    assert not card_numbers(masked)


def test_masking_leaves_short_runs_and_other_text_alone():
    assert mask_digit_runs("sale.items[3].042") == "sale.items[3].042"
    assert mask_digit_runs("a.0000000000000018.b") == "a.000000******0018.b"
