"""What the journal holds of one sale: its request, its approved receipt, its reversal, its last known facts.

The recovery flows that start from a sale already finished — wrong card, receipt unpaid — start from
these, because the journal (not memory) is what survives a restart. Each lookup is keyed by the sale's
stream and, where a sale had several requests, by STAN.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from agent.flowstore import FLOW_SAVED
from agent.journal import Journal
from agent.printer import TO_PRINT
from domain.effects import SaleFacts
from domain.ids import Stan
from drivers.host.messages import REFUND, VOID
from flows.base import facts_from_json


def request_on_record(journal: Journal, sale_id: str, stan: Stan) -> dict[str, str] | None:
    """The request with this STAN the journal holds for a sale (journal-safe: masked card only)."""
    rows = journal.query(
        "SELECT payload FROM events WHERE +kind = 'host_request' AND stream = ? "
        "AND json_extract(payload, '$.request.\"11\"') = ? ORDER BY seq DESC LIMIT 1", (sale_id, str(stan)))
    return json.loads(rows[0][0])["request"] if rows else None


def approved_receipt(journal: Journal, sale_id: str, stan: Stan | None = None) -> dict[str, Any] | None:
    """The receipt document of the sale's approved authorization (of STAN `stan`, if given)."""
    for event in journal.events(kind=TO_PRINT, stream=sale_id):
        document = event.payload["document"]
        if document.get("type") == "sale" and document.get("status") == "approved" \
                and (stan is None or document.get("stan") == str(stan)):
            return document
    return None


def receipt_id_of(document: dict[str, Any]) -> str:
    """The id the sale flow printed an approved receipt under."""
    return f"{document['sale_id']}-{document['stan']}"


def reversal_on_record(journal: Journal, sale_id: str, stan: Stan) -> bool:
    """Whether a reversal of this authorization is queued or done: whatever it charged is being released."""
    return bool(journal.query("SELECT 1 FROM saf WHERE sale_id = ? AND json_extract(original, '$.\"11\"') = ?",
                              (sale_id, str(stan))))


def refused_after_approval(journal: Journal, sale_id: str, stan: Stan) -> bool:
    """Whether the acquirer, having approved this authorization, answered it again with a refusal."""
    return bool(journal.query(
        "SELECT 1 FROM events WHERE +kind = 'host_duplicate_response' AND stream = ? "
        "AND json_extract(payload, '$.response.\"11\"') = ? AND json_extract(payload, '$.response.\"39\"') != '00'",
        (sale_id, str(stan))))


def unpaid_case(journal: Journal, sale_id: str) -> tuple[str, str] | None:
    """The receipt_unpaid case that followed this sale's receipt, open or settled: its id, and its state (or
    how it was resolved)."""
    rows = journal.query("SELECT case_id, COALESCE(resolution, state) FROM cases WHERE case_type = 'receipt_unpaid' "
                         "AND EXISTS (SELECT 1 FROM json_each(sale_ids) WHERE value = ?) ORDER BY opened_at",
                         (sale_id,))
    return (rows[0][0], rows[0][1]) if rows else None


def taken_back(journal: Journal, sale_id: str) -> str | None:
    """How the sale's charge was taken back — "void" or "refund" the acquirer approved — if it was."""
    rows = journal.query(
        "SELECT json_extract(request.payload, '$.request.\"3\"') FROM events AS request JOIN events AS answer "
        "ON answer.stream = request.stream AND answer.kind = 'host_response' "
        "AND json_extract(answer.payload, '$.response.\"11\"') = json_extract(request.payload, '$.request.\"11\"') "
        "AND json_extract(answer.payload, '$.response.\"39\"') = '00' "
        "WHERE request.kind = 'host_request' AND request.stream = ? "
        "AND json_extract(request.payload, '$.request.\"3\"') IN (?, ?) LIMIT 1", (sale_id, VOID, REFUND))
    return None if not rows else "void" if rows[0][0] == VOID else "refund"


def last_facts(journal: Journal, sale_id: str) -> SaleFacts | None:
    """The sale's facts as its flows last saved them (amount, masked card, STAN, time, answer)."""
    rows = journal.query("SELECT json_extract(payload, '$.flow.context.sale') FROM events WHERE +kind = ? "
                         "AND stream = ? AND json_extract(payload, '$.flow.context.sale') IS NOT NULL "
                         "ORDER BY seq DESC LIMIT 1", (FLOW_SAVED, sale_id))
    return facts_from_json(json.loads(rows[0][0])) if rows else None


@dataclass(frozen=True)
class SaleOnRecord:
    """A finished sale as the journal tells it: the facts to confirm, what became of the charge, and the
    approved receipt's id if one was printed."""

    facts: SaleFacts
    charge: str  # one of domain.events.ON_RECORD
    receipt_id: str | None


def sale_on_record(journal: Journal, sale_id: str) -> SaleOnRecord | None:
    document = approved_receipt(journal, sale_id)
    facts = last_facts(journal, sale_id)
    if facts is None:
        return None
    if document is not None:
        stan = Stan.parse(document["stan"])
        facts = dataclasses.replace(facts, stan=stan, response_code="00")
        if reversal_on_record(journal, sale_id, stan):
            charge = "reversed"
        elif refused_after_approval(journal, sale_id, stan):
            charge = "contradicted"
        else:
            charge = "approved"
        return SaleOnRecord(facts, charge, receipt_id_of(document))
    if facts.stan is None:
        charge = "not_sent"
    elif reversal_on_record(journal, sale_id, facts.stan):
        charge = "reversed"
    elif facts.response_code not in (None, "00"):
        charge = "declined"
    else:
        charge = "unanswered"
    return SaleOnRecord(facts, charge, None)
