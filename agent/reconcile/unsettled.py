"""未到账: a sale the acquirer never paid becomes an `unsettled` case, and leaves it as the money turns up.

The practice (DESIGN §3.2): the facts first — the case carries the sale's time, amount, masked card,
trace and reference numbers, and when it was due, all from the journal; then the customer is asked,
politely and with those facts, whether their card was charged (a draft in the outbox, when they left
contact details); every attempt is recorded and followed up like any case, and a case left past its
follow-up time is escalated to the manager. It ends as settled late (the money arrived: closed here,
with the line that proves it), repaid, or written off (closed by the manager).

One sale, one case, ever: the case id is the sale's, so reconciling again never opens a second one,
and a case the manager closed is not reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.cases import CaseRow, CaseStore
from agent.cases.projection import OPENED, RESOLVED
from agent.cases.schedule import to_local
from agent.journal import Journal
from agent.outbox import Outbox
from agent.reconcile.findings import Finding
from domain.card import MaskedPan
from domain.effects import SaleFacts
from domain.events import SettlementMissing, record
from domain.ids import Rrn, Stan

CASE_TYPE = "unsettled"
WHO = "reconcile"
ASK_CUSTOMER = "unsettled.ask_customer"
ARRIVED = "unsettled.settled_late"
MISSING = "settlement_missing"


@dataclass(frozen=True)
class Outcome:
    """What became of a sale's case: said beside the sale in the report; `changed` when it was opened or
    closed just now; `alert` when the manager must act at once."""

    said: str
    changed: bool = False
    alert: bool = False


def case_id_of(sale_id: str) -> str:
    return f"{CASE_TYPE}-{sale_id}"


class UnsettledCases:
    def __init__(self, journal: Journal, store: CaseStore, outbox: Outbox) -> None:
        self._journal = journal
        self._store = store
        self._outbox = outbox

    def state(self, sale_id: str) -> tuple[str, str | None] | None:
        """(state, resolution) of the sale's case, or None when it has none."""
        rows = self._journal.query("SELECT state, resolution FROM cases WHERE case_id = ?", (case_id_of(sale_id),))
        return rows[0] if rows else None

    def open(self, missing: Finding, as_of: date) -> Outcome:
        """The sale's case, opened now (with its facts, and the customer asked) unless it has one."""
        assert missing.sale_id is not None and missing.expected is not None
        known = self.state(missing.sale_id)
        if known is not None:
            return Outcome(f"{case_id_of(missing.sale_id)} ({known[1] or known[0]})")
        case_id = case_id_of(missing.sale_id)
        sale = _facts(missing)
        with self._journal.transaction():
            self._journal.append(MISSING, record(SettlementMissing(sale.stan, Rrn(missing.rrn) if missing.rrn else None,
                                                                   missing.amount, missing.sent_at))[1]
                                 | {"case_id": case_id, "sale_id": missing.sale_id, "terminal_id": missing.terminal_id,
                                    "auth_code": missing.auth_code, "sold_on": missing.day.isoformat(),
                                    "expected": missing.expected.isoformat(), "as_of": as_of.isoformat()},
                                 stream=case_id)
            self._journal.append(OPENED, {"case_id": case_id, "case_type": CASE_TYPE, "sale_ids": [missing.sale_id],
                                          "amount": missing.amount.to_json(), "masked": missing.masked,
                                          "contact_id": self._contact_of(missing.sale_id)}, stream=case_id)
            self._outbox.draft_for_case(case_id, ASK_CUSTOMER, sale)
        return Outcome(f"{case_id} (opened)", changed=True)

    def arrived(self, late: Finding, file_name: str) -> Outcome:
        """The money of a sale turned up late: close its open case as settled late and tell the customer. A
        case the manager already closed as repaid means the store has now been paid twice: say so."""
        assert late.sale_id is not None
        known = self.state(late.sale_id)
        case_id = case_id_of(late.sale_id)
        if known is None:
            return Outcome("")
        state, resolution = known
        if state != "open":
            if resolution in ("repaid", "paid"):
                return Outcome(f"case {case_id} was closed as {resolution}, and now the acquirer paid too: the "
                               f"store has been paid twice — refund the customer", alert=True)
            return Outcome(f"case {case_id} was already closed ({resolution})")
        note = (f"paid late: line {late.line} of {file_name}, settlement date {late.settled_on}, "
                f"due {late.expected}")
        with self._journal.transaction():
            self._journal.append(RESOLVED, {"case_id": case_id, "resolution": "settled_late", "note": note,
                                            "who": WHO}, stream=case_id)
            self._outbox.draft_for_case(case_id, ARRIVED, _facts(late))
        return Outcome(f"case {case_id} closed: settled late", changed=True)

    def overdue(self) -> list[CaseRow]:
        """Open unsettled cases past their follow-up time, each escalated to the manager once."""
        rows = self._store.list("open", overdue=True, case_type=CASE_TYPE)
        for row in rows:
            if not self._store.get(row.case_id).escalations:
                due = to_local(row.next_followup, self._store.settings).strftime("%Y-%m-%d %H:%M") \
                    if row.next_followup else "?"
                self._store.escalate(row.case_id, reason=f"unsettled sale: follow-up overdue since {due}", who=WHO)
        return rows

    def _contact_of(self, sale_id: str) -> str | None:
        """Details the customer left for another case of the same sale (a wrong card, an unpaid receipt)."""
        rows = self._journal.query("SELECT contact_id FROM cases WHERE contact_id IS NOT NULL AND EXISTS "
                                   "(SELECT 1 FROM json_each(sale_ids) WHERE value = ?) ORDER BY opened_at LIMIT 1",
                                   (sale_id,))
        return rows[0][0] if rows else None


def _facts(finding: Finding) -> SaleFacts:
    assert finding.sale_id is not None
    return SaleFacts(finding.sale_id, finding.amount, MaskedPan.parse(finding.masked) if finding.masked else None,
                     stan=Stan.parse(finding.stan), sent_at=finding.sent_at, response_code="00")
