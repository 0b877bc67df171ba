"""The acquirer's settlement file (对账文件): one CSV line per settled money movement.

Reconciliation compares the agent's journal with this file to find sales that never reached the
merchant's account (未到账). Real files have gaps, doubled lines, wrong amounts and lines the terminal
never sent; the injected faults reproduce those, each for the next file written only, so a scenario
says exactly which day went wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from domain.money import Money
from simulator.host.ledger import Entry, Kind

COLUMNS = ("date", "terminal_id", "merchant_id", "stan", "rrn", "masked_pan", "amount", "currency", "auth_code",
           "settlement_date")


@dataclass
class SettlementFaults:
    """Damage for the next settlement file, by STAN: left out, written twice, with another amount, or a
    line for a sale the terminal never sent."""

    omit: set[int] = field(default_factory=set)
    duplicate: set[int] = field(default_factory=set)
    amounts: dict[int, int] = field(default_factory=dict)  # STAN → minor units written instead
    extra: dict[int, int] = field(default_factory=dict)  # STAN → minor units of a sale nobody sent

    def clear(self) -> None:
        self.omit.clear()
        self.duplicate.clear()
        self.amounts.clear()
        self.extra.clear()

    def describe(self) -> str:
        parts = [f"omit {sorted(self.omit)}" if self.omit else "",
                 f"duplicate {sorted(self.duplicate)}" if self.duplicate else "",
                 f"amounts {dict(sorted(self.amounts.items()))}" if self.amounts else "",
                 f"extra {dict(sorted(self.extra.items()))}" if self.extra else ""]
        return ", ".join(part for part in parts if part) or "none"


def rows(entries: Iterable[Entry], faults: SettlementFaults, settled_on: date,
         stranger: tuple[str, str] | None = None) -> list[dict[str, str]]:
    """The file's lines. A refund's amount is negative: it is money going back to the card. Extra lines
    are written for `stranger` (terminal id, merchant id): a sale of that terminal it never sent."""
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
            "settlement_date": settled_on.isoformat(),
        }
        lines.extend([line] * (2 if entry.stan in faults.duplicate else 1))
    if stranger is not None:
        for stan, minor in sorted(faults.extra.items()):
            lines.append({"date": settled_on.isoformat(), "terminal_id": stranger[0], "merchant_id": stranger[1],
                          "stan": f"{stan:06d}", "rrn": f"X{stan:011d}", "masked_pan": "",
                          "amount": Money(minor).amount_text(), "currency": Money(minor).currency,
                          "auth_code": "", "settlement_date": settled_on.isoformat()})
    return lines


def write(out: TextIO, entries: Iterable[Entry], faults: SettlementFaults, settled_on: date,
          stranger: tuple[str, str] | None = None) -> int:
    """Write the file (header line, then one line per entry); returns how many lines follow the header."""
    lines = rows(entries, faults, settled_on, stranger)
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(lines)
    return len(lines)
