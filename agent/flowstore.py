"""The `flows` projection: each recovery flow's latest saved state, so a restart reads the few open flows
instead of replaying every state every sale ever went through."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

FLOW_SAVED = "flow_saved"
# States in which a flow has nothing more to do at the counter; it leaves the live set once there. A
# declined sale whose customer left, or a charge the acquirer settled before its reversal came, is followed
# up as a case, not by a flow.
FINISHED = frozenset({"APPROVED", "CANCELLED", "HANDED_OVER", "HANDED_BACK", "RESOLVED", "PAID_OTHERWISE",
                      "CARD_RESUMED", "CHARGE_STANDS", "CASE_OPENED", "PRINTED", "E_RECEIPT", "NO_RECEIPT",
                      "DONE", "NOT_WRONG", "PAID_AFTER_ALL"})


@dataclass(frozen=True)
class FlowsProjection:
    name: str = "flows"
    version: int = 1
    tables: tuple[str, ...] = ("flows",)

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE flows (
                   flow_id   TEXT PRIMARY KEY,
                   number    INTEGER,
                   first_seq INTEGER NOT NULL,
                   state     TEXT NOT NULL,
                   finished  INTEGER NOT NULL,
                   saved     TEXT NOT NULL
               )"""
        )
        db.execute("CREATE INDEX flows_open ON flows(finished, first_seq)")

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind != FLOW_SAVED:
            return
        flow_id, saved = payload["flow_id"], payload["flow"]
        suffix = flow_id.rsplit("-", 1)[-1]
        db.execute(
            "INSERT INTO flows VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(flow_id) DO UPDATE SET "
            "state = excluded.state, finished = excluded.finished, saved = excluded.saved",
            (flow_id, int(suffix) if suffix.isdigit() else None, seq, saved["state"],
             int(saved["state"] in FINISHED), json.dumps(saved, sort_keys=True)),
        )


def last_flow_number(db_query: Any) -> int:
    """The highest numeric suffix of any flow id on record, so new ids never collide with old ones."""
    return db_query("SELECT COALESCE(MAX(number), 0) FROM flows")[0][0]


def open_flows(db_query: Any) -> list[dict[str, Any]]:
    """The saved form of every unfinished flow, oldest first."""
    return [json.loads(saved) for (saved,) in db_query("SELECT saved FROM flows WHERE finished = 0 ORDER BY first_seq")]
