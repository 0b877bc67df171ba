"""The recent sales at this counter, as the journal tells them: what the cashier picks from to report a sale
charged to the wrong card, or a receipt the customer holds that may not be paid.

Read-only, and from the journal rather than the screen's memory, so a sale from before a restart is there
too. Each line says what became of the charge (`agent.records.sale_on_record`), whether a flow still has the
sale, whether it was paid another way, and which recoveries or cases already followed it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from agent import records
from agent.journal import Journal
from domain.money import Money

RECENT = 50  # sales listed, newest first
REPORTS = ("wrong_card_reported", "receipt_unpaid_reported")


@dataclass(frozen=True)
class SaleLine:
    sale_id: str
    started_at: datetime  # when the amount was keyed
    amount: Money
    masked: str | None  # the card, masked as the journal holds it
    stan: str | None
    sent_at: datetime | None  # when the authorization left: the time on the customer's statement
    charge: str | None  # one of domain.events.ON_RECORD; None while nothing is on record yet
    receipt_id: str | None  # the approved receipt the sale printed, if any
    live: bool  # a flow at the counter still has it
    paid_by: str | None  # how it was paid another way (cash, qr…), if it was
    followed: tuple[str, ...]  # the recoveries and cases that followed it, oldest first


def recent_sales(journal: Journal, live: Collection[str], limit: int = RECENT) -> list[SaleLine]:
    """The last `limit` sales started at this counter, newest first; `live` holds the ids of the sales a flow
    still has."""
    started = journal.query("SELECT stream, at, payload FROM events WHERE kind = 'sale_started' "
                            "ORDER BY seq DESC LIMIT ?", (limit,))
    ids = [stream for stream, _, _ in started]
    if not ids:
        return []
    followed = _followed(journal, ids)
    paid = _paid(journal, ids)
    lines = []
    for sale_id, at, payload in started:
        on_record = records.sale_on_record(journal, sale_id)
        facts = on_record.facts if on_record is not None else None
        amount = facts.amount if facts is not None else Money.from_json(json.loads(payload)["amount"])
        lines.append(SaleLine(
            sale_id=sale_id, started_at=datetime.fromisoformat(at), amount=amount,
            masked=str(facts.masked) if facts is not None and facts.masked is not None else None,
            stan=str(facts.stan) if facts is not None and facts.stan is not None else None,
            sent_at=facts.sent_at if facts is not None else None,
            charge=on_record.charge if on_record is not None else None,
            receipt_id=on_record.receipt_id if on_record is not None else None,
            live=sale_id in live, paid_by=paid.get(sale_id), followed=tuple(followed.get(sale_id, ()))))
    return lines


def _followed(journal: Journal, ids: list[str]) -> dict[str, list[str]]:
    """Per sale: the flows the cashier or the agent reported it to, and the cases opened on it."""
    marks = ", ".join("?" * len(ids))
    found: dict[str, list[str]] = {}
    rows = journal.query(
        "SELECT json_extract(payload, '$.sale_id'), json_extract(payload, '$.flow_id') FROM events "
        f"WHERE kind IN ({', '.join('?' * len(REPORTS))}) AND json_extract(payload, '$.sale_id') IN ({marks}) "
        "ORDER BY seq", (*REPORTS, *ids))
    rows += journal.query("SELECT sale.value, cases.case_id FROM cases, json_each(cases.sale_ids) AS sale "
                          f"WHERE sale.value IN ({marks}) ORDER BY cases.opened_at, cases.case_id", tuple(ids))
    for sale_id, flow_id in rows:
        if flow_id not in found.setdefault(sale_id, []):
            found[sale_id].append(flow_id)
    return found


def _paid(journal: Journal, ids: list[str]) -> dict[str, str]:
    marks = ", ".join("?" * len(ids))
    rows = journal.query("SELECT stream, json_extract(payload, '$.method') FROM events "
                         f"WHERE +kind = 'payment_recorded' AND stream IN ({marks}) ORDER BY seq", tuple(ids))
    return {sale_id: method for sale_id, method in rows}

