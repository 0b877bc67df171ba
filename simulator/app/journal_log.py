"""The agent's side of the event log: its journal, read as it grows, one line an event.

The journal is where the agent writes down everything it does, before it does it, and holds card numbers
masked only — so it is both the complete account of the agent and a safe one to put on a screen. A line
names the event, the sale or flow it belongs to, and the few facts a QA engineer looks for (the flow's new
state, the prompt, the STAN and response code); big structures are left to `recoup journal`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.journal import Journal
from agent.ui.sanitise import sanitise
from domain.money import Money, MoneyError

SHORT = 40  # a fact longer than this (a cipher text, a note) is left out of the line
SKIPPED = frozenset({"card_hash", "ciphertext", "nonce", "key_id", "text", "document", "data"})


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    text: str


def entries_after(journal: Journal, seq: int) -> list[Entry]:
    """Every event journaled after `seq`, as log lines."""
    rows = journal.query("SELECT seq, at, kind, stream, payload FROM events WHERE seq > ? ORDER BY seq", (seq,))
    return [Entry(number, datetime.fromisoformat(at), describe(kind, stream, json.loads(payload)))
            for number, at, kind, stream, payload in rows]


def describe(kind: str, stream: str | None, payload: dict[str, Any]) -> str:
    parts = [kind] + ([f"[{stream}]"] if stream else [])
    flow = payload.get("flow")
    if isinstance(flow, dict):  # flow_saved: the flow and the state it is now in
        parts.append(f"{flow.get('flow')} → {flow.get('state')}")
    for name in ("request", "response"):
        message = payload.get(name)
        if isinstance(message, dict):
            parts.append(_message(name, message))
    for name, value in payload.items():
        if name in SKIPPED or (name == "flow" and isinstance(value, dict)) or value == stream:
            continue  # big, secret, or the stream's own id again
        shown = _fact(value)
        if shown is not None:
            parts.append(f"{name}={shown}")
    return sanitise(" ".join(parts), single_line=True)


def _message(name: str, fields: dict[str, Any]) -> str:
    """An ISO 8583 request or response by what identifies it: processing code, STAN, response code."""
    said = [f"{label} {fields[key]}" for key, label in (("3", "pc"), ("11", "stan"), ("39", "code"))
            if key in fields]
    said += [f"code {fields['response_code']}"] if "response_code" in fields else []
    return f"{name}({', '.join(said)})"


def _fact(value: Any) -> str | None:
    if isinstance(value, int | float):  # bool included
        return str(value)
    if isinstance(value, str):
        return value if len(value) <= SHORT else None
    if isinstance(value, dict) and set(value) == {"currency", "minor"}:
        try:
            return str(Money.from_json(value))
        except (MoneyError, TypeError, ValueError):
            return None
    return None
