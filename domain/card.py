"""Card numbers: the checks every read passes, and the only forms a card may take at rest.

A full PAN lives in memory for as long as an authorization needs it and nowhere else. What the
journal, logs, receipts and screens see is the `MaskedPan` (first 6 / last 4) and the `CardHash`,
a keyed HMAC that recognises the same card again without being reversible by anyone who steals
the database but not the per-install secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class MaskedPan:
    """First six and last four digits, the rest replaced: '411111******1111'."""

    first6: str
    last4: str
    length: int

    @classmethod
    def of(cls, pan: str) -> MaskedPan:
        return cls(pan[:6], pan[-4:], len(pan))

    def __str__(self) -> str:
        return self.first6 + "*" * (self.length - 10) + self.last4

    @classmethod
    def parse(cls, text: str) -> MaskedPan:
        stars = text.count("*")
        if len(text) < 12 or stars != len(text) - 10 or "*" * stars not in text:
            raise ValueError(f"{text!r} is not a masked card number (6 digits, stars, 4 digits)")
        return cls(text[:6], text[-4:], len(text))


def mask_pan(pan: str) -> str:
    """The masked form of text that may be a card number, for logs and messages. Anything too short to
    be one is starred out entirely, because first 6 and last 4 of a short string is the whole string."""
    return str(MaskedPan.of(pan)) if len(pan) >= 13 else "*" * len(pan)


# Runs of a card number's length, allowing the single spaces or dashes a PAN is often printed with.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
_SEPARATOR = re.compile(r"[ -]")


def card_numbers(text: str, own_ids: Collection[str] = frozenset()) -> list[str]:
    """The full card numbers in free text, separators removed, for the doors that must refuse them.

    It errs on the side of finding one: a Luhn-valid run of 13–19 digits counts even if it was something
    else. No payment card number starts with 0 (major industry identifier 0 is not issued to cards), while
    zero-padded ISO 8583 amounts and counts (fields 86, 88, …) always do, so those runs are passed over.

    `own_ids` are the terminal's own configured identifiers (merchant id, terminal id): China's acquirers
    issue 15-digit numeric merchant ids, and one in ten passes Luhn. A run whose digits are exactly one of
    them is the terminal naming itself, not a card; a longer run that merely contains one is still found."""
    runs = (_SEPARATOR.sub("", match.group()) for match in _DIGIT_RUN.finditer(text))
    return [digits for digits in runs if digits[0] != "0" and digits not in own_ids and luhn_valid(digits)]


def mask_digit_runs(text: str) -> str:
    """The text with every run of a card number's length masked, Luhn-valid or not, for a message that
    names where a card number was found: the name itself (a dict key) may be one, or part of one."""
    return _DIGIT_RUN.sub(lambda match: mask_pan(_SEPARATOR.sub("", match.group())), text)


@dataclass(frozen=True)
class CardHash:
    hex: str

    def __str__(self) -> str:
        return self.hex


class CardHasher:
    """HMAC-SHA256 of the PAN under a per-install secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the card-hash secret must be at least 16 bytes")
        self._secret = secret

    def __call__(self, pan: str) -> CardHash:
        return CardHash(hmac.new(self._secret, pan.encode("ascii"), hashlib.sha256).hexdigest())

    def __repr__(self) -> str:
        return "CardHasher(<secret>)"


@dataclass(frozen=True)
class Expiry:
    """A card's expiry as on the stripe: YYMM. Valid through the last day of that month."""

    year: int
    month: int

    @classmethod
    def parse(cls, yymm: str) -> Expiry:
        if len(yymm) != 4 or not yymm.isdigit() or not yymm.isascii():
            raise ValueError(f"expiry {yymm!r} is not four digits YYMM")
        month = int(yymm[2:])
        if not 1 <= month <= 12:
            raise ValueError(f"expiry {yymm!r} has month {month:02d}")
        return cls(2000 + int(yymm[:2]), month)

    def expired_on(self, today: date) -> bool:
        return (today.year, today.month) > (self.year, self.month)

    def __str__(self) -> str:
        return f"{self.year % 100:02d}{self.month:02d}"


@dataclass(frozen=True, repr=False)
class Card:
    """A card as read, PAN included. Its repr and str are masked so it can't leak through a log line."""

    pan: str = field(repr=False)
    expiry: Expiry
    service_code: str
    name: str = ""

    @property
    def masked(self) -> MaskedPan:
        return MaskedPan.of(self.pan)

    def __repr__(self) -> str:
        return f"Card({self.masked}, expiry={self.expiry}, service_code={self.service_code})"

    __str__ = __repr__


# ISO 7813 service code, first digit: 1/2 international, 5/6 national, 7 private, 9 test.
# 3, 4 and 8 are not assigned, 0 is reserved: a read with those is garbled or not a payment card.
VALID_SERVICE_FIRST_DIGITS = frozenset("125679")


def service_code_problem(code: str) -> str | None:
    """Why a service code is unacceptable for a payment, or None when it is fine."""
    if len(code) != 3 or not code.isdigit() or not code.isascii():
        return f"service code {code!r} is not three digits"
    if code[0] not in VALID_SERVICE_FIRST_DIGITS:
        return f"service code {code} has unassigned first digit {code[0]}"
    if code[2] in "3":
        return f"service code {code} allows ATM use only"
    return None
