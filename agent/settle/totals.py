"""The open batch as the terminal counts it: what it approved since its last balanced settlement.

Counted from the journal's card transactions (the settlement projection), as the acquirer counts its own:
sales and refunds the acquirer approved, less what was taken back since — a sale reversed from
store-and-forward, voided, or found unpaid (its NOT PAID slip printed after the acquirer said no charge
stands). A reversal still waiting to be sent is already taken back here; the acquirer still counts the
sale until it arrives, which is why "out of balance" most often means "send the stored reversals first".
"""

from __future__ import annotations

from datetime import datetime

from agent.journal import Journal
from domain.effects import SettlementTotals
from domain.money import Money

REQUESTED = "settlement_requested"
FINISHED = "settlement_finished"
BALANCED = "balanced"


def batch_start(journal: Journal) -> int:
    """The seq of the 0500 the acquirer last answered balanced: requests after it are the open batch."""
    (seq,), = journal.query(
        "SELECT COALESCE(MAX(seq), 0) FROM events WHERE +kind = 'host_request' "
        "AND json_extract(payload, '$.request.t') = '0500' AND stream IN (SELECT stream FROM events "
        "WHERE kind = ? AND json_extract(payload, '$.outcome') = ?)", (FINISHED, BALANCED))
    return seq


def last_balanced(journal: Journal) -> datetime | None:
    """When the acquirer last answered balanced — where the open batch starts; None before the first."""
    (at,), = journal.query("SELECT MAX(at) FROM events WHERE kind = ? AND json_extract(payload, '$.outcome') = ?",
                           (FINISHED, BALANCED))
    return datetime.fromisoformat(at) if at else None


def batch_totals(journal: Journal, currency: str) -> SettlementTotals:
    counted = dict.fromkeys(("sale", "refund"), (0, 0))
    for kind, count, minor in journal.query(
            "SELECT kind, COUNT(*), COALESCE(SUM(amount_minor), 0) FROM card_transactions WHERE id > ? "
            "AND state = 'approved' AND kind IN ('sale', 'refund') AND currency = ? GROUP BY kind",
            (batch_start(journal), currency)):
        counted[kind] = (count, minor)
    (sales, sales_minor), (refunds, refunds_minor) = counted["sale"], counted["refund"]
    return SettlementTotals(sales, Money(sales_minor, currency), refunds, Money(refunds_minor, currency))
