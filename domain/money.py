"""Money as integer minor units plus an ISO 4217 code.

A float never represents money here: 0.1 + 0.2 is not 0.3, and a cashier's "58.00" must reach the
acquirer as exactly 5800 fen. Parsing is strict so that a typo is refused at the counter instead of
being rounded into a different charge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Minor-unit exponents of the currencies a counter in this market meets. Unknown codes are refused
# rather than guessed, because a wrong exponent multiplies the charge by 100.
EXPONENTS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "SGD": 2,
    "AUD": 2, "CAD": 2, "THB": 2, "MYR": 2, "KRW": 0, "JPY": 0, "VND": 0,
}
# ISO 4217 numeric codes, as carried in ISO 8583 field 49.
NUMERIC: dict[str, str] = {
    "CNY": "156", "HKD": "344", "MOP": "446", "TWD": "901", "USD": "840", "EUR": "978",
    "GBP": "826", "SGD": "702", "AUD": "036", "CAD": "124", "THB": "764", "MYR": "458",
    "KRW": "410", "JPY": "392", "VND": "704",
}
DEFAULT_CURRENCY = "CNY"
_AMOUNT = re.compile(r"(?P<units>[0-9]+)(?:\.(?P<frac>[0-9]+))?")
# Why an amount is refused: `MoneyError.code`, so a screen can say it in the cashier's own language.
REFUSALS = ("not_minor_units", "negative_minor_units", "unknown_currency", "not_text", "negative", "not_a_number",
            "too_many_decimals", "too_large", "mixed_currencies")
# ISO 8583 carries an amount in twelve digits of minor units (field 4): a larger one can never be charged.
MAX_MINOR_DIGITS = 12


class MoneyError(ValueError):
    """An amount that cannot be money: says what was given and why it was refused. The message is English,
    for logs and the command line; `code` (one of REFUSALS) and `facts` (what it names: the text typed, the
    currency, the decimal places) are what a screen puts into words of its own."""

    def __init__(self, code: str, message: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(message)
        self.code = code
        self.facts = facts


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError("not_minor_units", f"amount must be an integer number of minor units, got {self.minor!r}")
        if self.minor < 0:
            raise MoneyError("negative_minor_units", f"amount must not be negative, got {self.minor} minor units")
        if self.currency not in EXPONENTS:
            raise MoneyError("unknown_currency", f"unknown currency {self.currency!r}; known: "
                             f"{', '.join(sorted(EXPONENTS))}", currency=self.currency)

    @classmethod
    def parse(cls, text: str, currency: str = DEFAULT_CURRENCY) -> Money:
        """Parse what a cashier types ("58", "58.00", "58.5") into exact minor units."""
        if not isinstance(text, str):
            raise MoneyError("not_text", f"amount must be given as text such as '58.00', got {type(text).__name__} "
                             f"{text!r} (floats are never used for money)")
        if currency not in EXPONENTS:
            raise MoneyError("unknown_currency", f"unknown currency {currency!r}; known: "
                             f"{', '.join(sorted(EXPONENTS))}", currency=currency)
        stripped = text.strip()
        if stripped.startswith("-"):
            raise MoneyError("negative", f"amount {text!r} is negative; a sale is always a positive amount",
                             text=stripped)
        match = _AMOUNT.fullmatch(stripped)
        if not match:
            raise MoneyError("not_a_number", f"amount {text!r} is not a number such as 58 or 58.00", text=stripped)
        exponent = EXPONENTS[currency]
        frac = match["frac"] or ""
        if len(frac) > exponent:
            raise MoneyError("too_many_decimals", f"amount {text!r} has {len(frac)} decimal places; {currency} "
                             f"allows {exponent}", text=stripped, places=len(frac), currency=currency,
                             allowed=exponent)
        units = match["units"].lstrip("0")
        if len(units) + exponent > MAX_MINOR_DIGITS:
            largest = Money(10**MAX_MINOR_DIGITS - 1, currency).amount_text()
            raise MoneyError("too_large", f"amount {text!r} is more than a card payment can carry ({largest} "
                             f"{currency} at most)", text=stripped[:20] + ("…" if len(stripped) > 20 else ""),
                             largest=largest, currency=currency)
        return cls(int(units or "0") * 10**exponent + int(frac.ljust(exponent, "0") or 0), currency)

    @property
    def exponent(self) -> int:
        return EXPONENTS[self.currency]

    @property
    def numeric_code(self) -> str:
        return NUMERIC[self.currency]

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError("mixed_currencies", f"cannot combine {self} with {other!r}")

    def amount_text(self) -> str:
        """The amount without the code, as printed on a receipt: '58.00'."""
        if self.exponent == 0:
            return str(self.minor)
        units, frac = divmod(self.minor, 10**self.exponent)
        return f"{units}.{frac:0{self.exponent}d}"

    def __str__(self) -> str:
        return f"{self.currency} {self.amount_text()}"

    def to_json(self) -> dict:
        return {"minor": self.minor, "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict) -> Money:
        return cls(data["minor"], data["currency"])
