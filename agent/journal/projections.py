"""Projections: tables derived from the event log, kept current on every append and rebuildable.

A projection is applied inside the same transaction as the event it reads, so the live tables never
disagree with the log; `Journal.rebuild_projections` replays the whole log to prove (and repair) that.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol


class Projection(Protocol):
    name: str
    version: int
    tables: tuple[str, ...]

    def create(self, db: sqlite3.Connection) -> None: ...

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class ReadsProjection:
    """Every card read and read error at the counter, masked: what the reader saw, and when."""

    name: str = "reads"
    version: int = 1
    tables: tuple[str, ...] = ("reads",)

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE reads (
                   seq        INTEGER PRIMARY KEY,
                   at         TEXT NOT NULL,
                   outcome    TEXT NOT NULL,
                   masked     TEXT,
                   card_hash  TEXT,
                   entry_mode TEXT,
                   failed     TEXT,
                   detail     TEXT
               )"""
        )

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == "card_read":
            db.execute(
                "INSERT INTO reads VALUES (?, ?, 'read', ?, ?, ?, NULL, NULL)",
                (seq, at, payload["card"]["masked"], payload.get("card_hash"), payload["entry_mode"]),
            )
        elif kind == "read_error":
            db.execute(
                "INSERT INTO reads VALUES (?, ?, 'error', ?, NULL, NULL, ?, ?)",
                (seq, at, payload.get("masked"), payload["check"], payload["detail"]),
            )
