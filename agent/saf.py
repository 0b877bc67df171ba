"""Store-and-forward: reversals waiting to reach the acquirer, durable in the journal.

Money rule 1 says an authorization whose outcome is unknown is never forgotten. So a reversal is an
event before it is a message: queued in the same journal as the sale, attempted one at a time, each
attempt journaled before its bytes leave (0400 first, 0401 for every repeat), and only an answer from
the acquirer takes it off the queue: an acknowledgement, or a refusal the acquirer means for good (the
original was already settled, so there is no hold left to release and the charge stands). A restart
finds the queue in the journal exactly as it was. The card number is not in the queue — the reversal
names the original by STAN, terminal and time.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from agent.journal import Journal
from domain.money import Money

QUEUED = "reversal_queued"
ATTEMPT = "reversal_attempt"
UNANSWERED = "reversal_unanswered"
ACKNOWLEDGED = "reversal_acknowledged"
REFUSED = "reversal_refused"
ESCALATED = "reversal_escalated"

# What of the original request a reversal needs; field 2 and 35 (card data) are never kept.
ORIGINAL_FIELDS = ("t", "3", "4", "7", "11", "12", "13", "22", "41", "42", "49")


@dataclass(frozen=True)
class Reversal:
    reversal_id: str
    sale_id: str
    original: dict[str, str]
    amount: Money
    attempts: int
    escalated: bool
    first_stan: str | None  # the 0400's STAN, which every 0401 repeats


    @property
    def next_mti(self) -> str:
        return "0400" if self.attempts == 0 else "0401"


@dataclass(frozen=True)
class SafProjection:
    name: str = "saf"
    version: int = 1
    tables: tuple[str, ...] = ("saf",)

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE saf (
                   reversal_id TEXT PRIMARY KEY,
                   sale_id     TEXT NOT NULL,
                   original    TEXT NOT NULL,
                   amount      INTEGER NOT NULL,
                   currency    TEXT NOT NULL,
                   state       TEXT NOT NULL,
                   attempts    INTEGER NOT NULL,
                   first_stan  TEXT,
                   escalated   INTEGER NOT NULL,
                   last_error  TEXT,
                   queued_seq  INTEGER NOT NULL,
                   updated_at  TEXT NOT NULL
               )"""
        )

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == QUEUED:
            db.execute(
                "INSERT INTO saf VALUES (?, ?, ?, ?, ?, 'queued', 0, NULL, 0, NULL, ?, ?)",
                (payload["reversal_id"], payload["sale_id"], json.dumps(payload["original"], sort_keys=True),
                 payload["amount"]["minor"], payload["amount"]["currency"], seq, at),
            )
        elif kind == ATTEMPT:
            db.execute("UPDATE saf SET attempts = ?, first_stan = COALESCE(first_stan, ?), updated_at = ?"
                       " WHERE reversal_id = ?",
                       (payload["attempt"], payload["request"].get("11"), at, payload["reversal_id"]))
        elif kind == UNANSWERED:
            db.execute("UPDATE saf SET last_error = ?, updated_at = ? WHERE reversal_id = ?",
                       (payload["reason"], at, payload["reversal_id"]))
        elif kind == ESCALATED:
            db.execute("UPDATE saf SET escalated = 1, updated_at = ? WHERE reversal_id = ?",
                       (at, payload["reversal_id"]))
        elif kind == ACKNOWLEDGED:
            db.execute("UPDATE saf SET state = 'acknowledged', updated_at = ? WHERE reversal_id = ?",
                       (at, payload["reversal_id"]))
        elif kind == REFUSED:
            db.execute("UPDATE saf SET state = 'refused', last_error = ?, updated_at = ? WHERE reversal_id = ?",
                       (payload["reason"], at, payload["reversal_id"]))


class SafQueue:
    def __init__(self, journal: Journal, *, escalate_after: int = 5) -> None:
        self._journal = journal
        self.escalate_after = escalate_after

    def enqueue(self, sale_id: str, original: dict[str, str], amount: Money) -> str:
        """Queue the reversal of `original` (idempotent: the same original is queued once)."""
        reversal_id = f"rv-{original['41']}-{original['11']}-{original['7']}"
        if self._journal.query("SELECT 1 FROM saf WHERE reversal_id = ?", (reversal_id,)):
            return reversal_id
        kept = {key: original[key] for key in ORIGINAL_FIELDS if key in original}
        self._journal.append(QUEUED, {"reversal_id": reversal_id, "sale_id": sale_id, "original": kept,
                                      "amount": amount.to_json()}, stream=sale_id)
        return reversal_id

    def pending(self) -> list[Reversal]:
        rows = self._journal.query(
            "SELECT reversal_id, sale_id, original, amount, currency, attempts, escalated, first_stan FROM saf "
            "WHERE state = 'queued' ORDER BY queued_seq")
        return [Reversal(rid, sale, json.loads(original), Money(minor, currency), attempts, bool(escalated), first)
                for rid, sale, original, minor, currency, attempts, escalated, first in rows]

    def head(self) -> Reversal | None:
        pending = self.pending()
        return pending[0] if pending else None

    def record_attempt(self, reversal: Reversal, request: dict[str, Any]) -> None:
        """Journal an attempt (with the journal-safe request) before its bytes are written."""
        self._journal.append(ATTEMPT, {"reversal_id": reversal.reversal_id, "attempt": reversal.attempts + 1,
                                       "request": request}, stream=reversal.sale_id)

    def record_unanswered(self, reversal_id: str, reason: str) -> bool:
        """Note a failed attempt; True when this failure is the one that escalates to a manager."""
        (sale_id, attempts, escalated), = self._journal.query(
            "SELECT sale_id, attempts, escalated FROM saf WHERE reversal_id = ?", (reversal_id,))
        with self._journal.transaction():
            self._journal.append(UNANSWERED, {"reversal_id": reversal_id, "attempt": attempts, "reason": reason},
                                 stream=sale_id)
            if not escalated and attempts >= self.escalate_after:
                self._journal.append(ESCALATED, {"reversal_id": reversal_id, "attempts": attempts},
                                     stream=sale_id)
                return True
        return False

    def record_acknowledged(self, reversal_id: str, response: dict[str, Any]) -> None:
        (sale_id,), = self._journal.query("SELECT sale_id FROM saf WHERE reversal_id = ?", (reversal_id,))
        self._journal.append(ACKNOWLEDGED, {"reversal_id": reversal_id, "response": response}, stream=sale_id)

    def record_refused(self, reversal_id: str, response_code: str, reason: str) -> None:
        """The acquirer refused the reversal for good: it leaves the queue and is never sent again."""
        (sale_id, original), = self._journal.query("SELECT sale_id, original FROM saf WHERE reversal_id = ?",
                                                   (reversal_id,))
        self._journal.append(REFUSED, {"reversal_id": reversal_id, "stan": json.loads(original)["11"],
                                       "response_code": response_code, "reason": reason}, stream=sale_id)
