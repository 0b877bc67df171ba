"""The acquirer's settlement file (对账文件): one CSV line per settled money movement.

Reconciliation compares the agent's journal with this file to find sales that never reached the
merchant's account (未到账). Real files have gaps, doubled lines and wrong amounts; the injected faults
reproduce those, each for the next file written only, so a scenario says exactly which day went wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from domain.money import Money
from simulator.host.ledger import Entry, Kind

COLUMNS = ("date", "terminal_id", "merchant_id", "stan", "rrn", "masked_pan", "amount", "currency", "auth_code")


@dataclass
class SettlementFaults:
    """Damage for the next settlement file, by STAN: left out, written twice, or with another amount."""

    omit: set[int] = field(default_factory=set)
    duplicate: set[int] = field(default_factory=set)
    amounts: dict[int, int] = field(default_factory=dict)  # STAN → minor units written instead

    def clear(self) -> None:
        self.omit.clear()
        self.duplicate.clear()
        self.amounts.clear()

    def describe(self) -> str:
        parts = [f"omit {sorted(self.omit)}" if self.omit else "",
                 f"duplicate {sorted(self.duplicate)}" if self.duplicate else "",
                 f"amounts {dict(sorted(self.amounts.items()))}" if self.amounts else ""]
        return ", ".join(part for part in parts if part) or "none"


def rows(entries: Iterable[Entry], faults: SettlementFaults) -> list[dict[str, str]]:
    """The file's lines. A refund's amount is negative: it is money going back to the card."""
    lines = []
    for entry in entries:
        if entry.stan in faults.omit:
            continue
        minor = faults.amounts.get(entry.stan, entry.amount.minor)
        sign = "-" if entry.kind is Kind.REFUND else ""
        line = {
            "date": entry.at.date().isoformat(), "terminal_id": entry.terminal_id,
            "merchant_id": entry.merchant_id, "stan": f"{entry.stan:06d}", "rrn": entry.rrn,
            "masked_pan": str(entry.card), "amount": sign + Money(minor, entry.amount.currency).amount_text(),
            "currency": entry.amount.currency, "auth_code": entry.auth_code,
        }
        lines.extend([line] * (2 if entry.stan in faults.duplicate else 1))
    return lines


def write(out: TextIO, entries: Iterable[Entry], faults: SettlementFaults) -> int:
    """Write the file (header line, then one line per entry); returns how many lines follow the header."""
    lines = rows(entries, faults)
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(lines)
    return len(lines)
