"""The manager's report: counts and amounts by status, every difference, the overdue cases; text and CSV.

Findings stream through: the totals are counters, the text keeps the first few of each difference (the
CSV has them all, one line each), so a file of a million lines reports in the memory of a few hundred.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import TextIO

from agent.cases import CaseRow
from agent.reconcile.findings import (
    AMOUNT_DIFFERS,
    DIFFERENCES,
    DUPLICATE,
    MISSING,
    NOT_YET_DUE,
    OTHER_TERMINAL,
    SETTLED,
    SETTLED_LATE,
    STATUSES,
    UNKNOWN,
    Finding,
)
from domain.money import Money

LABELS = {SETTLED: "settled", SETTLED_LATE: "settled late", AMOUNT_DIFFERS: "amount differs",
          DUPLICATE: "duplicate", UNKNOWN: "unknown to the terminal", OTHER_TERMINAL: "another terminal's",
          MISSING: "missing (未到账)", NOT_YET_DUE: "not yet due"}
LISTED = (MISSING, AMOUNT_DIFFERS, DUPLICATE, UNKNOWN, SETTLED_LATE)  # shown one by one
SHOWN = 20  # of each, in the text; the CSV has every one
CSV_COLUMNS = ("section", "status", "count", "amount", "currency", "sale_id", "kind", "terminal_id", "stan", "rrn",
               "sale_date", "expected", "line", "settlement_date", "file_amount", "terminal_amount", "masked",
               "case", "detail")
TIME = "%Y-%m-%d %H:%M"


@dataclass
class FileSummary:
    name: str
    settlement_date: date
    lines: int
    malformed: int
    blank: int
    already: bool
    malformed_shown: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Report:
    as_of: date | None = None
    since: date | None = None
    file: FileSummary | None = None
    counts: Counter = field(default_factory=Counter)
    amounts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (status, currency)
    shown: dict[str, list[tuple[Finding, str]]] = field(default_factory=lambda: defaultdict(list))
    cases_opened: int = 0
    cases_closed: int = 0
    alerts: list[str] = field(default_factory=list)
    overdue: list[CaseRow] = field(default_factory=list)
    writer: csv.DictWriter | None = None

    def add(self, finding: Finding, case: str = "") -> None:
        status = finding.status
        self.counts[status] += 1
        self.amounts[(status, finding.amount.currency)] += finding.signed_minor
        if status in LISTED:
            if len(self.shown[status]) < SHOWN:
                self.shown[status].append((finding, case))
            if self.writer is not None:
                self.writer.writerow(_row(finding, case))

    def malformed(self, line: int, reason: str) -> None:
        if self.writer is not None:
            self.writer.writerow({"section": "file", "status": "malformed", "line": line, "detail": reason})

    @property
    def differences(self) -> int:
        return sum(self.counts[status] for status in DIFFERENCES)

    # -- CSV ---------------------------------------------------------------------------------------------

    def start_csv(self, out: TextIO) -> None:
        self.writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        self.writer.writeheader()

    def finish_csv(self, zone: tzinfo | None) -> None:
        """The totals and the overdue list, after the lines the findings wrote as they came."""
        if self.writer is None:
            return
        for status in STATUSES:
            for currency in self._currencies(status) or [""]:
                self.writer.writerow({"section": "total", "status": status, "count": self.counts[status],
                                   "amount": _amount(self.amounts.get((status, currency), 0), currency),
                                   "currency": currency})
        for row in self.overdue:
            self.writer.writerow({"section": "overdue", "status": "overdue", "case": row.case_id,
                               "amount": row.amount.amount_text() if row.amount else "",
                               "currency": row.amount.currency if row.amount else "", "masked": row.masked or "",
                               "sale_date": row.opened_at.astimezone(zone).strftime(TIME),
                               "expected": row.next_followup.astimezone(zone).strftime(TIME)
                               if row.next_followup else "", "detail": f"{row.attempts} contact attempt(s)"})

    # -- text ----------------------------------------------------------------------------------------------

    def text(self, zone: tzinfo | None) -> str:
        lines = []
        if self.file is not None:
            f = self.file
            read = "already read before: nothing new journaled" if f.already else "read"
            lines.append(f"settlement file {f.name} (settlement date {f.settlement_date}): {read}; {f.lines:,} "
                         f"line(s), {f.malformed:,} malformed, {f.blank:,} blank")
            lines += [f"  line {line}: {reason}" for line, reason in f.malformed_shown]
            if f.malformed > len(f.malformed_shown):
                lines.append(f"  … and {f.malformed - len(f.malformed_shown):,} more malformed line(s) (--csv lists "
                             f"them all)")
        if self.as_of is not None:
            lines.append(f"sales from {self.since} checked against every file read, settled through {self.as_of}")
        lines.append("")
        width = max(_width(label) for label in LABELS.values())
        lines.append(f"{_pad('STATUS', width)}  {'COUNT':>9}  AMOUNT")
        for status in STATUSES:
            amounts = ", ".join(_money(self.amounts[(status, currency)], currency)
                                for currency in self._currencies(status)) or "-"
            lines.append(f"{_pad(LABELS[status], width)}  {self.counts[status]:>9,}  {amounts}")
        if self.cases_opened or self.cases_closed:
            lines.append(f"unsettled cases: {self.cases_opened} opened, {self.cases_closed} closed as settled late")
        for status in LISTED:
            if not self.shown[status]:
                continue
            lines += ["", f"{LABELS[status]} ({self.counts[status]:,}):"]
            lines += [f"  {_describe(finding, case)}" for finding, case in self.shown[status]]
            if self.counts[status] > len(self.shown[status]):
                lines.append(f"  … and {self.counts[status] - len(self.shown[status]):,} more (--csv lists them all)")
        if self.alerts:
            lines += ["", "ALERT:"] + [f"  {alert}" for alert in self.alerts]
        lines += ["", f"overdue unsettled cases ({len(self.overdue)}):" if self.overdue else
                  "no unsettled case is overdue"]
        for row in self.overdue:
            due = row.next_followup.astimezone(zone).strftime(TIME) if row.next_followup else "-"
            lines.append(f"  {row.case_id}  opened {row.opened_at.astimezone(zone).strftime(TIME)}  "
                         f"{row.amount or '-'}  {row.masked or '-'}  {row.attempts} attempt(s)  follow-up was due "
                         f"{due}  OVERDUE")
        return "\n".join(lines)

    def _currencies(self, status: str) -> list[str]:
        return sorted(currency for (each, currency) in self.amounts if each == status)


def _describe(finding: Finding, case: str) -> str:
    sale = f"{finding.sale_id} " if finding.sale_id else ""
    where = f"line {finding.line}: " if finding.line is not None else ""
    facts = (f"{where}{sale}{finding.terminal_id} STAN {finding.stan}" + (f" RRN {finding.rrn}" if finding.rrn else "")
             + f" {finding.day} {_money(finding.signed_minor, finding.amount.currency)}"
             + (f" {finding.masked}" if finding.masked else ""))
    if finding.status == MISSING:
        facts += f", due {finding.expected}"
    elif finding.status == SETTLED_LATE:
        facts += f", due {finding.expected}, paid {finding.settled_on}"
    return facts + (f" — {finding.detail}" if finding.detail else "") + (f" — {case}" if case else "")


def _row(finding: Finding, case: str) -> dict[str, object]:
    in_file = finding.line is not None
    return {"section": "line" if in_file else "sale", "status": finding.status, "count": 1,
            "amount": _amount(finding.signed_minor, finding.amount.currency), "currency": finding.amount.currency,
            "sale_id": finding.sale_id or "", "kind": finding.kind or "", "terminal_id": finding.terminal_id,
            "stan": finding.stan, "rrn": finding.rrn, "sale_date": finding.day.isoformat(),
            "expected": finding.expected.isoformat() if finding.expected else "",
            "line": finding.line if in_file else "",
            "settlement_date": finding.settled_on.isoformat() if finding.settled_on else "",
            "file_amount": _amount(finding.signed_minor, finding.amount.currency) if in_file else "",
            "terminal_amount": finding.terminal_amount.amount_text() if finding.terminal_amount else "",
            "masked": finding.masked or "", "case": case, "detail": finding.detail}


def _width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _amount(minor: int, currency: str) -> str:
    if not currency:
        return ""
    return ("-" if minor < 0 else "") + Money(abs(minor), currency).amount_text()


def _money(minor: int, currency: str) -> str:
    return f"{currency} {_amount(minor, currency)}"
