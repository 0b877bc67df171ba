"""Trace numbers the acquirer and the cashier use to name one transaction."""

from __future__ import annotations

from dataclasses import dataclass

STAN_MAX = 999_999


@dataclass(frozen=True, order=True)
class Stan:
    """System trace audit number (ISO 8583 field 11, 凭证号): 1..999999, wrapping after 999999."""

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or not 1 <= self.value <= STAN_MAX:
            raise ValueError(f"STAN must be 1..{STAN_MAX}, got {self.value!r}")

    def next(self) -> Stan:
        return Stan(1 if self.value == STAN_MAX else self.value + 1)

    def __str__(self) -> str:
        return f"{self.value:06d}"

    @classmethod
    def parse(cls, text: str) -> Stan:
        if len(text) != 6 or not text.isdigit():
            raise ValueError(f"STAN {text!r} is not six digits")
        return cls(int(text))


@dataclass(frozen=True)
class Rrn:
    """Retrieval reference number (field 37, 参考号): twelve alphanumeric characters set by the host."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) != 12 or not self.value.isascii() or not self.value.isalnum():
            raise ValueError(f"RRN must be 12 letters or digits, got {self.value!r}")

    def __str__(self) -> str:
        return self.value
