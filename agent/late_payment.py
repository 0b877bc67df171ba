"""A customer who owes for a case pays at last. By card that is a new sale the counter runs (it settles the
case when approved); any other way — cash, a QR code, a transfer — is recorded here, from the counter or
the manager's desk, and settles the case at once, with a thank-you drafted for the customer."""

from __future__ import annotations

import json

from agent import records
from agent.journal import Journal
from agent.outbox import Outbox
from domain.effects import RecordPayment, ResolveCase, SaleFacts
from domain.events import record

OWED = ("receipt_unpaid", "declined")  # case types where the customer still owes for the sale
THANKS = "receipt_unpaid.paid_later"
# Why a payment is refused: `NotOwed.code`, so a screen can say it in the cashier's own language.
REFUSALS = ("no_case", "closed", "not_owed", "at_counter", "never_found_unpaid", "no_facts", "no_method")
PAID_LATER = "paid later: "  # the closed case's note, on record in English, then the method as it was given


class NotOwed(ValueError):
    """The case is not one a customer can pay for now: says which case and why. `code` (one of REFUSALS)
    and `facts` (the case, its type, its sale) are for a screen to say it in words of its own."""

    def __init__(self, code: str, message: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(message)
        self.code = code
        self.facts = facts


def owed(journal: Journal, case_id: str) -> SaleFacts:
    """The facts of the sale an open case's customer owes for."""
    rows = journal.query("SELECT case_type, state, sale_ids FROM cases WHERE case_id = ?", (case_id,))
    if not rows:
        raise NotOwed("no_case", f"no case {case_id!r}", case_id=case_id)
    case_type, state, sale_ids = rows[0]
    if state != "open":
        raise NotOwed("closed", f"case {case_id} is already closed", case_id=case_id)
    if case_type not in OWED:
        raise NotOwed("not_owed", f"a {case_type} case is not one the customer pays for ({', '.join(OWED)} are)",
                      case_id=case_id, case_type=case_type)
    live = journal.query("SELECT state FROM flows WHERE flow_id = ? AND finished = 0", (case_id,))
    if live:
        raise NotOwed("at_counter", f"case {case_id} is still open at the counter ({live[0][0]}): settle it on its "
                      f"screen there", case_id=case_id)
    if case_type == "receipt_unpaid" and not journal.query(
            "SELECT 1 FROM events WHERE +kind = 'receipt_to_print' AND json_extract(payload, '$.document.type') = "
            "'not_paid' AND json_extract(payload, '$.document.case_id') = ?", (case_id,)):
        raise NotOwed("never_found_unpaid", f"case {case_id} was never found unpaid: the acquirer has not confirmed "
                      f"there is no charge, and the customer may have paid already", case_id=case_id)
    sale_id = json.loads(sale_ids)[0]
    facts = records.last_facts(journal, sale_id)
    if facts is None:
        raise NotOwed("no_facts", f"case {case_id} names sale {sale_id}, which has no facts on record",
                      case_id=case_id, sale_id=sale_id)
    return facts


def record_late_payment(journal: Journal, outbox: Outbox, case_id: str, method: str, who: str) -> SaleFacts:
    """Journal the payment on the sale, close the case as paid later, and draft the thanks — together."""
    method = method.strip()
    if not method or method == "card":
        raise NotOwed("no_method", "say how the customer paid (cash, qr, transfer…); a card payment is a new sale "
                               "at the counter")
    with journal.transaction():
        facts = owed(journal, case_id)
        journal.append("payment_recorded", record(RecordPayment(facts.sale_id, method, facts.amount))[1] | {"who": who},
                       stream=facts.sale_id)
        journal.append("case_resolved", record(ResolveCase(case_id, "paid_later", PAID_LATER + method))[1]
                       | {"who": who}, stream=facts.sale_id)
        outbox.draft_for_case(case_id, THANKS, facts)
    return facts


def method_noted(note: str | None) -> str | None:
    """The method a case closed here was paid by, from its note; None for a note written otherwise."""
    if note is None or not note.startswith(PAID_LATER):
        return None
    return note.removeprefix(PAID_LATER)
