"""What reconciliation finds, line by line and sale by sale, streamed from SQL so nothing grows with the file.

A line of the acquirer's file is *settled* (on time or late), or a difference: *amount differs* from the
sale it names, a *duplicate* of a line already read, or *unknown* to the terminal — no sale of it has
that reference, or the terminal holds that sale as declined, reversed, voided or unpaid. A line of
another terminal is counted and left alone. A sale the terminal approved is *missing* once its expected
settlement date has passed with no line for it in any file read, or *not yet due*.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.journal import Journal
from agent.reconcile.calendar import due_through, expected_settlement
from agent.reconcile.settings import ReconcileSettings
from domain.money import Money

SETTLED = "settled"
SETTLED_LATE = "settled_late"
AMOUNT_DIFFERS = "amount_differs"
DUPLICATE = "duplicate"
UNKNOWN = "unknown"
OTHER_TERMINAL = "other_terminal"
MISSING = "missing"
NOT_YET_DUE = "not_yet_due"
DIFFERENCES = (MISSING, AMOUNT_DIFFERS, DUPLICATE, UNKNOWN)
STATUSES = (SETTLED, SETTLED_LATE, AMOUNT_DIFFERS, DUPLICATE, UNKNOWN, OTHER_TERMINAL, MISSING, NOT_YET_DUE)
# What the terminal believes of a sale whose money the acquirer nevertheless settled.
_HELD_AS = {"declined": "declined", "reversed": "reversed", "voided": "voided", "not_paid": "not paid (NOT PAID slip)",
            "sent": "unanswered (its outcome was never known)"}
_COMPLETE = "SELECT import_id FROM settlement_imports WHERE complete = 1"
PAGE = 2000


@dataclass(frozen=True)
class Finding:
    """One line of a file, or one sale of the terminal, and what became of it. `amount` is the line's (the
    sale's, for a sale no line names), `negative` for a refund; `terminal_amount` is the sale's, beside a
    line that names one."""

    status: str
    amount: Money
    negative: bool
    terminal_id: str
    stan: str
    rrn: str
    day: date  # the sale's date: the counter's, or as the file gives it
    sale_id: str | None = None
    kind: str | None = None  # sale or refund
    masked: str | None = None
    sent_at: datetime | None = None
    auth_code: str | None = None
    expected: date | None = None  # when its settlement was due
    line: int | None = None  # of the file being read
    settled_on: date | None = None
    terminal_amount: Money | None = None
    detail: str = ""

    @property
    def signed_minor(self) -> int:
        return -self.amount.minor if self.negative else self.amount.minor


class Calendar:
    """Expected settlement dates, remembered per sale date: a million sales fall on a few hundred days."""

    def __init__(self, settings: ReconcileSettings) -> None:
        self.settings = settings
        self._expected: dict[date, date] = {}

    def expected(self, sold_on: date) -> date:
        found = self._expected.get(sold_on)
        if found is None:
            found = self._expected[sold_on] = expected_settlement(sold_on, self.settings)
        return found


def our_terminals(journal: Journal, configured: str) -> frozenset[str]:
    """The terminal ids this journal has sent requests as, and the configured one."""
    return frozenset({configured, *(tid for (tid,) in journal.query("SELECT DISTINCT terminal_id FROM "
                                                                    "card_transactions"))})


def line_findings(journal: Journal, import_id: int, settled_on: date, terminals: frozenset[str],
                  calendar: Calendar) -> Iterator[Finding]:
    """Every line of one import, in file order."""
    rows = _pages(journal,
        "SELECT l.line, l.id, l.terminal_id, l.stan, l.rrn, l.date, l.amount_minor, l.currency, l.settlement_date, "
        "t.id, t.sale_id, t.kind, t.state, t.amount_minor, t.currency, t.local_date, t.masked, t.sent_at, t.stan, "
        "t.auth_code, "
        f"(SELECT e.id FROM settlement_lines e WHERE e.txn = l.txn AND e.id < l.id AND e.import_id IN ({_COMPLETE}) "
        "ORDER BY e.id LIMIT 1), "
        "CASE WHEN l.txn IS NULL AND l.rrn != '' THEN (SELECT e.id FROM settlement_lines e WHERE e.txn IS NULL "
        f"AND e.terminal_id = l.terminal_id AND e.rrn = l.rrn AND e.id < l.id AND e.import_id IN ({_COMPLETE}) "
        "ORDER BY e.id LIMIT 1) END "
        "FROM settlement_lines l LEFT JOIN card_transactions t ON t.id = l.txn WHERE l.import_id = ? AND l.line > ? "
        "ORDER BY l.line LIMIT ?", (import_id,), key=0)
    for (line, _, terminal, stan, rrn, day, minor, currency, line_settled, txn, sale_id, kind, state, sale_minor,
         sale_currency, local_date, masked, sent_at, sale_stan, auth_code, earlier, earlier_unknown) in rows:
        paid_on = _day(line_settled) if line_settled else settled_on
        if terminal not in terminals or txn is None:
            if terminal not in terminals:
                status, detail = OTHER_TERMINAL, ""
            elif earlier_unknown:
                status, detail = DUPLICATE, _earlier(journal, earlier_unknown)
            else:
                status, detail = UNKNOWN, ("no sale of this terminal has " + (f"RRN {rrn} or " if rrn else "")
                                           + f"STAN {stan} on {day}")
            yield Finding(status, Money(abs(minor), currency), minor < 0, terminal, stan, rrn, _day(day), line=line,
                          settled_on=paid_on, detail=detail)
            continue
        sold_on = _day(local_date)
        expected = calendar.expected(sold_on)
        sign = {"sale": 1, "refund": -1}.get(kind, 0)
        if earlier is not None:
            status, detail = DUPLICATE, _earlier(journal, earlier)
        elif state != "approved" or not sign:
            held = _HELD_AS.get(state, state) if sign else f"a {kind}, which moves no money"
            status, detail = UNKNOWN, f"the terminal holds STAN {sale_stan} of {sale_id} as {held}: it does not " \
                                      f"believe this money moved"
        elif minor != sign * sale_minor or currency != sale_currency:
            status, detail = AMOUNT_DIFFERS, (f"the terminal's {kind} was {'-' if sign < 0 else ''}"
                                              f"{Money(sale_minor, sale_currency)}")
        else:
            status, detail = (SETTLED_LATE if paid_on > expected else SETTLED), ""
        yield Finding(status, Money(abs(minor), currency), minor < 0, terminal, stan, rrn, sold_on, sale_id=sale_id,
                      kind=kind, masked=masked, sent_at=datetime.fromisoformat(sent_at), auth_code=auth_code,
                      expected=expected, line=line, settled_on=paid_on,
                      terminal_amount=Money(sale_minor, sale_currency), detail=detail)


def sale_findings(journal: Journal, as_of: date, since: date, calendar: Calendar) -> Iterator[Finding]:
    """Every sale and refund the terminal approved from `since` on that no file read names: missing once due
    by `as_of`, else not yet due. In the order they were sent."""
    due = due_through(as_of, calendar.settings)
    # In id order (the order they were sent), walking the table once: `+` keeps SQLite off other indexes.
    rows = _pages(journal,
        "SELECT t.id, t.sale_id, t.kind, t.terminal_id, t.stan, t.rrn, t.local_date, t.amount_minor, t.currency, "
        "t.masked, t.sent_at, t.auth_code FROM card_transactions t WHERE +t.state = 'approved' "
        "AND +t.local_date >= ? AND +t.kind IN ('sale', 'refund') "
        f"AND NOT EXISTS (SELECT 1 FROM settlement_lines l WHERE l.txn = t.id AND l.import_id IN ({_COMPLETE})) "
        "AND t.id > ? ORDER BY t.id LIMIT ?", (since.isoformat(),), key=0)
    for _, sale_id, kind, terminal, stan, rrn, local_date, minor, currency, masked, sent_at, auth_code in rows:
        sold_on = _day(local_date)
        yield Finding(MISSING if sold_on <= due else NOT_YET_DUE, Money(minor, currency), kind == "refund",
                      terminal, stan, rrn or "", sold_on, sale_id=sale_id, kind=kind, masked=masked,
                      sent_at=datetime.fromisoformat(sent_at), auth_code=auth_code,
                      expected=calendar.expected(sold_on))


def reconciled_since(journal: Journal, settings: ReconcileSettings) -> date | None:
    """The first sale day the files read are answerable for: the first one due on the earliest settlement
    date read. Sales before it were settled in files never read; a line for one still matches it."""
    (earliest,), = journal.query("SELECT MIN(earliest) FROM settlement_imports WHERE complete = 1")
    if earliest is None:
        return None
    return due_through(date.fromisoformat(earliest) - timedelta(days=1), settings) + timedelta(days=1)


def settled_through(journal: Journal) -> date | None:
    """The latest settlement date of the files read: sales due by then should be in one of them."""
    (latest,), = journal.query("SELECT MAX(settlement_date) FROM settlement_imports WHERE complete = 1")
    return None if latest is None else date.fromisoformat(latest)


def _earlier(journal: Journal, line_id: int) -> str:
    (line, name), = journal.query("SELECT l.line, i.name FROM settlement_lines l JOIN settlement_imports i "
                                  "ON i.import_id = l.import_id WHERE l.id = ?", (line_id,))
    return f"the acquirer already settled it: line {line} of {name}"


@functools.lru_cache(maxsize=4096)
def _day(text: str) -> date:
    """An ISO date from the tables; a million lines fall on a few hundred days."""
    return date.fromisoformat(text)


def _pages(journal: Journal, sql: str, params: tuple, key: int) -> Iterator[tuple]:
    """Rows of `sql` (which ends "AND <key> > ? ORDER BY <key> LIMIT ?"), a page at a time: memory stays
    flat, and no read is left open while the caller writes cases between pages."""
    after: object = -1
    while True:
        rows = journal.query(sql, (*params, after, PAGE))
        yield from rows
        if len(rows) < PAGE:
            return
        after = rows[-1][key]
