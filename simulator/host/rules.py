"""How the virtual acquirer answers: test cards, amount endings, and overrides set from tests.

The amount endings let a cashier or a scenario produce any decline with any card just by typing the
amount (10.51 is refused for insufficient funds), the way acquirers' certification hosts do. Overrides
exist for what an amount cannot say: "this card is declined whatever it buys", "the next two requests
fail with 91". Identifiers come from a seeded generator so a replay produces the same receipts.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field
from datetime import datetime

from domain.card import Expiry, luhn_valid
from domain.money import Money
from simulator.host.ledger import APPROVED, CardKey, card_key

DO_NOT_HONOUR = "05"
INVALID_MERCHANT = "03"
INVALID_TRANSACTION = "12"
INVALID_AMOUNT = "13"
INVALID_CARD = "14"
NO_SUCH_RECORD = "25"
FORMAT_ERROR = "30"
INSUFFICIENT_FUNDS = "51"
EXPIRED_CARD = "54"
NOT_PERMITTED = "58"
ISSUER_UNAVAILABLE = "91"
DUPLICATE = "94"
OUT_OF_BALANCE = "95"
SYSTEM_MALFUNCTION = "96"

# Last two digits of the amount in minor units → the decline it provokes on a sale.
AMOUNT_ENDINGS: dict[int, str] = {
    51: INSUFFICIENT_FUNDS, 54: EXPIRED_CARD, 5: DO_NOT_HONOUR, 14: INVALID_CARD,
    91: ISSUER_UNAVAILABLE, 96: SYSTEM_MALFUNCTION,
}
_CODE = re.compile(r"[0-9A-Z]{2}")


def response_code(text: str) -> str:
    """A response code as ISO 8583 field 39 carries it: two digits or capital letters."""
    if not _CODE.fullmatch(text):
        raise ValueError(f"response code {text!r} is not two digits such as 00, 51 or 91")
    return text


def bad_pan(pan: str) -> bool:
    """True when a number cannot be a card: not 12–19 digits, or a wrong check digit."""
    return not (12 <= len(pan) <= 19 and luhn_valid(pan))


# Forced answers to a 0500, whatever the totals say: the three outcomes a terminal must handle.
SETTLEMENT_ANSWERS = {"balanced": APPROVED, "unbalanced": OUT_OF_BALANCE, "unavailable": SYSTEM_MALFUNCTION}


@dataclass
class SettlementOverride:
    """The answer the next 0500s get instead of the comparison of totals: balanced (00, the batch is
    closed as the terminal counted it), unbalanced (95, it stays open) or unavailable (96: the host
    cannot give its totals now). `left` counts down; None is until cleared."""

    answer: str = ""
    left: int | None = 0

    def set(self, answer: str, times: int | None = 1) -> None:
        if answer not in SETTLEMENT_ANSWERS:
            raise ValueError(f"settlement answer {answer!r} is not one of {', '.join(SETTLEMENT_ANSWERS)}")
        if times is not None and times < 1:
            raise ValueError(f"a forced answer is given at least once, got times={times}")
        self.answer, self.left = answer, times

    def clear(self) -> None:
        self.answer, self.left = "", 0

    def take(self) -> str | None:
        """The forced answer for this 0500, if one is left; counts it down."""
        if not self.answer or self.left == 0:
            return None
        if self.left is not None:
            self.left -= 1
        return self.answer

    def describe(self) -> str:
        if not self.answer or self.left == 0:
            return "compared with the host's totals"
        count = "until cleared" if self.left is None else f"next {self.left}"
        return f"{self.answer} ({SETTLEMENT_ANSWERS[self.answer]}), {count}"


@dataclass
class Rules:
    """The overrides in force. An override beats every card and amount rule."""

    cards: dict[CardKey, str] = field(default_factory=dict)
    next_code: str = ""
    next_left: int = 0
    check_expiry: bool = False  # the agent checks expiry at the reader; the host trusts it by default
    settlement: SettlementOverride = field(default_factory=SettlementOverride)

    def set_card(self, card: str | CardKey, code: str) -> CardKey:
        key = card_key(card)
        self.cards[key] = response_code(code)
        return key

    def clear_card(self, card: str | CardKey) -> CardKey:
        key = card_key(card)
        self.cards.pop(key, None)
        return key

    def set_next(self, count: int, code: str) -> None:
        """The next `count` money requests (sales, voids, refunds, reversals) get `code`; replaces any
        earlier next-N override."""
        if count < 0:
            raise ValueError(f"count must be 0 or more, got {count}")
        self.next_code, self.next_left = response_code(code), count

    def clear(self) -> None:
        self.cards.clear()
        self.next_code, self.next_left = "", 0
        self.check_expiry = False
        self.settlement.clear()

    def take_next(self) -> str | None:
        """The next-N override for this request, if one is left; counts it down."""
        if not self.next_left:
            return None
        self.next_left -= 1
        return self.next_code

    def card_code(self, pan: str, expiry: str, today: datetime) -> str | None:
        """The decline a card earns whatever the amount, or None: override, then Luhn, then expiry."""
        if (code := self.cards.get(CardKey.of(pan))) is not None:
            return code
        if bad_pan(pan):
            return INVALID_CARD
        if self.check_expiry:
            try:
                return EXPIRED_CARD if Expiry.parse(expiry).expired_on(today.date()) else None
            except ValueError:
                return FORMAT_ERROR
        return None


def amount_code(amount: Money) -> str:
    return AMOUNT_ENDINGS.get(amount.minor % 100, APPROVED)


class Ids:
    """Authorization codes and retrieval reference numbers, the same for the same seed.

    RRN = Y DDD HH nnnnnn: last digit of the year, day of the year, hour (host time, UTC), then a
    sequence that starts at a seeded point, so two acquirers with different seeds do not collide.
    """

    _AUTH_ALPHABET = string.ascii_uppercase + string.digits

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._sequence = self._rng.randrange(1_000_000)

    def rrn(self, now: datetime) -> str:
        self._sequence = (self._sequence + 1) % 1_000_000
        return f"{now.year % 10}{now.timetuple().tm_yday:03d}{now.hour:02d}{self._sequence:06d}"

    def auth_code(self) -> str:
        return "".join(self._rng.choice(self._AUTH_ALPHABET) for _ in range(6))
