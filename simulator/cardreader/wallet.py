"""The virtual reader's wallet: public test card numbers, each built to pass or to fail one check.

The numbers are the card schemes' published test PANs, never real cards. Valid cards expire far in the
future (12/2030) so that tests do not start failing on a calendar date. `fails` names the check a card
is built to fail, so tests, the demo and the QA simulator can say what the agent ought to answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.card import Card, Expiry, MaskedPan
from domain.events import ReadCheck

DISCRETIONARY = "00000"  # short enough for a 19-digit PAN to stay within track 2's 37 characters


@dataclass(frozen=True)
class TestCard:
    __test__ = False  # pytest: a dataclass, not a test class

    key: str
    label: str
    pan: str = field(repr=False)
    expiry: str  # YYMM
    service_code: str
    name: str  # as on track 1: SURNAME/GIVEN
    fails: ReadCheck | None = None

    @property
    def masked(self) -> MaskedPan:
        return MaskedPan.of(self.pan)

    def to_card(self) -> Card:
        """The `Card` an agent should read from this test card."""
        return Card(self.pan, Expiry.parse(self.expiry), self.service_code, self.name)


def _cards(*cards: TestCard) -> dict[str, TestCard]:
    return {card.key: card for card in cards}


WALLET: dict[str, TestCard] = _cards(
    TestCard("visa", "Visa", "4111111111111111", "3012", "201", "ZHANG/WEI"),
    TestCard("mastercard", "Mastercard", "5555555555554444", "3012", "201", "LI/NA"),
    TestCard("unionpay", "UnionPay", "6200000000000005", "3012", "220", "WANG/FANG"),
    TestCard("unionpay_19", "UnionPay, 19 digits", "6205500000000000004", "3012", "220", "CHEN/JIE"),
    TestCard("amex", "American Express", "378282246310005", "3012", "101", "SMITH/JOHN"),
    TestCard("visa_other", "Visa, the wrong card of a pair", "4012888888881881", "3012", "201", "ZHANG/WEI"),
    TestCard("expired", "Visa, expired 12/2020", "4000000000000002", "2012", "201", "LIU/YANG",
             fails=ReadCheck.EXPIRY),
    TestCard("bad_service", "Mastercard, ATM-only service code", "5105105105105100", "3012", "123",
             "ZHAO/LEI", fails=ReadCheck.SERVICE_CODE),
    TestCard("luhn_invalid", "Visa, wrong check digit", "4242424242424241", "3012", "201", "SUN/LI",
             fails=ReadCheck.LUHN),
)
VALID_KEYS = tuple(key for key, card in WALLET.items() if card.fails is None)


def track1(card: TestCard) -> str:
    return f"%B{card.pan}^{card.name}^{card.expiry}{card.service_code}{DISCRETIONARY}?"


def track2(card: TestCard) -> str:
    return f";{track2_equivalent(card)}?"


def track2_equivalent(card: TestCard) -> str:
    """Track 2 without its sentinels: what a chip or a contactless card hands over instead."""
    return f"{card.pan}={card.expiry}{card.service_code}{DISCRETIONARY}"
