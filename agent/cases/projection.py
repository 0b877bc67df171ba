"""The `cases`, `case_attempts` and `case_escalations` tables, rebuilt from the journal like every
projection.

Cases are opened and resolved by the counter's flows, attempts come from the manager, the cashier and
the notifier alike, and escalations may arrive before a case exists (a decline alerts the manager at
once), so attempts and escalations are kept by case id whether or not the case is on record yet. Times
are stored as fixed-width UTC text so that SQL's MAX and ORDER BY are also the chronological ones.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.contacts.projection import RECORDED as CONTACT_RECORDED

OPENED = "case_opened"
RESOLVED = "case_resolved"
ESCALATED = "escalated"
ATTEMPT_RECORDED = "contact_attempt_recorded"
CLOSED = "case_closed"
NOTIFICATION_SENT = "notification_sent"
NOTIFICATION_FAILED = "notification_failed"
# The closer of a case the counter's flow resolved on its own.
COUNTER = "counter"


def utc_text(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class CasesProjection:
    name: str = "cases"
    version: int = 2
    tables: tuple[str, ...] = ("cases", "case_attempts", "case_escalations")

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE cases (
                   case_id      TEXT PRIMARY KEY,
                   case_type    TEXT NOT NULL,
                   opened_at    TEXT NOT NULL,
                   sale_ids     TEXT NOT NULL,
                   amount_minor INTEGER,
                   currency     TEXT,
                   masked       TEXT,
                   contact_id   TEXT,
                   state        TEXT NOT NULL,
                   resolution   TEXT,
                   closed_at    TEXT,
                   closed_by    TEXT,
                   close_note   TEXT
               )"""
        )
        db.execute("CREATE INDEX cases_state ON cases(state, opened_at)")
        db.execute(
            """CREATE TABLE case_attempts (
                   seq      INTEGER PRIMARY KEY,
                   case_id  TEXT NOT NULL,
                   at       TEXT NOT NULL,
                   channel  TEXT NOT NULL,
                   outcome  TEXT NOT NULL,
                   who      TEXT,
                   template TEXT,
                   note     TEXT,
                   source   TEXT NOT NULL
               )"""
        )
        db.execute("CREATE INDEX case_attempts_case ON case_attempts(case_id, at)")
        db.execute(
            """CREATE TABLE case_escalations (
                   seq     INTEGER PRIMARY KEY,
                   case_id TEXT NOT NULL,
                   at      TEXT NOT NULL,
                   reason  TEXT NOT NULL
               )"""
        )
        db.execute("CREATE INDEX case_escalations_case ON case_escalations(case_id)")

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == OPENED:
            _open(db, at, payload)
        elif kind in (RESOLVED, CLOSED):
            db.execute("UPDATE cases SET state = 'closed', resolution = ?, closed_at = ?, closed_by = ?,"
                       " close_note = ? WHERE case_id = ? AND state = 'open'",
                       (payload["resolution"], utc_text(at), payload.get("who", COUNTER), payload.get("note"),
                        payload["case_id"]))
        elif kind == ATTEMPT_RECORDED:
            db.execute("INSERT INTO case_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (seq, payload["case_id"], utc_text(payload.get("attempted_at") or at), payload["channel"],
                        payload["outcome"], payload["who"], payload.get("template"), payload.get("note"), kind))
        elif kind in (NOTIFICATION_SENT, NOTIFICATION_FAILED) and payload.get("case_id"):
            outcome = payload.get("outcome") or ("sent" if kind == NOTIFICATION_SENT else "failed")
            db.execute("INSERT INTO case_attempts VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                       (seq, payload["case_id"], utc_text(at), payload.get("channel") or "outbox", outcome,
                        payload.get("who"), payload.get("template"), kind))
        elif kind == ESCALATED and payload.get("case_id"):
            db.execute("INSERT INTO case_escalations VALUES (?, ?, ?, ?)",
                       (seq, payload["case_id"], utc_text(at), payload.get("reason") or "unspecified"))
        elif kind == CONTACT_RECORDED and payload.get("case_id"):
            # Details left after the case opened still belong to it — also after the customer first declined.
            declined = "" if payload.get("declined") else \
                " OR contact_id IN (SELECT contact_id FROM contacts WHERE declined = 1)"
            db.execute(f"UPDATE cases SET contact_id = ? WHERE case_id = ? AND (contact_id IS NULL{declined})",
                       (payload["contact_id"], payload["case_id"]))


def _open(db: sqlite3.Connection, at: str, payload: dict[str, Any]) -> None:
    """A case opened again (a flow linking another sale, or the customer's details arriving) adds to the
    one on record; its type, opening time and state stay as they were."""
    case_id = payload["case_id"]
    sale_ids = list(payload.get("sale_ids") or ())
    found = db.execute("SELECT sale_ids FROM cases WHERE case_id = ?", (case_id,)).fetchone()
    if found is not None:
        merged = list(dict.fromkeys(json.loads(found[0]) + sale_ids))
        db.execute("UPDATE cases SET sale_ids = ?, contact_id = COALESCE(?, contact_id) WHERE case_id = ?",
                   (json.dumps(merged), payload.get("contact_id"), case_id))
        return
    amount = payload.get("amount") or {}
    db.execute("INSERT INTO cases (case_id, case_type, opened_at, sale_ids, amount_minor, currency, masked,"
               " contact_id, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
               (case_id, payload["case_type"], utc_text(at), json.dumps(sale_ids), amount.get("minor"),
                amount.get("currency"), payload.get("masked"), payload.get("contact_id")))
