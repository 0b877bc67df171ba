"""The `contacts` table: one row per captured contact, holding only what a manager may see without the
key — when, for which case, which channel, whether the customer declined or the data was purged.

The personal fields stay in the encrypted event payloads; `data_seq` points at the event holding the
current ciphertext so reading a contact is one indexed lookup instead of a scan of the log.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

RECORDED = "contact_recorded"
UPDATED = "contact_updated"
PURGED = "contact_purged"


@dataclass(frozen=True)
class ContactsProjection:
    name: str = "contacts"
    version: int = 1
    tables: tuple[str, ...] = ("contacts",)

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE contacts (
                   contact_id TEXT PRIMARY KEY,
                   stream     TEXT,
                   created_at TEXT NOT NULL,
                   updated_at TEXT NOT NULL,
                   consent    INTEGER NOT NULL,
                   declined   INTEGER NOT NULL,
                   channel    TEXT,
                   purged     INTEGER NOT NULL DEFAULT 0,
                   purged_at  TEXT,
                   data_seq   INTEGER
               )"""
        )
        db.execute("CREATE INDEX contacts_stream ON contacts(stream)")

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == RECORDED:
            declined = bool(payload["declined"])
            db.execute(
                "INSERT INTO contacts (contact_id, stream, created_at, updated_at, consent, declined,"
                " channel, data_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (payload["contact_id"], payload.get("case_id"), at, at, int(bool(payload["consent"])),
                 int(declined), payload.get("channel"), None if declined else seq),
            )
        elif kind == UPDATED:
            db.execute(
                "UPDATE contacts SET updated_at = ?, consent = ?, channel = ?, data_seq = ?"
                " WHERE contact_id = ?",
                (at, int(bool(payload["consent"])), payload.get("channel"), seq, payload["contact_id"]),
            )
        elif kind == PURGED:
            db.execute(
                "UPDATE contacts SET purged = 1, purged_at = ?, data_seq = NULL WHERE contact_id = ?",
                (at, payload["contact_id"]),
            )
