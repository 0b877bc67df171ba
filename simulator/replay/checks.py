"""What an `expect` step holds the replay to, read from where the truth is kept: the agent's journal (flow
states, prompts, cases, messages), the acquirer's ledger (what the customer was charged) and the paper the
printer put out. Each failed check says what it found, so the report reads as a diagnosis.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agent.journal import Journal
from agent.notify.history import histories
from domain.money import Money
from flows.prompts import catalogue
from simulator.host.ledger import card_key
from simulator.replay.steps import NO_SALE, ExpectStep

if TYPE_CHECKING:
    from simulator.replay.engine import Replay

NONE = "none"


def actions_of(prompt_id: str) -> tuple[str, ...]:
    entry = catalogue().prompts.get(prompt_id)
    return entry.actions if entry is not None else ()


def latest_sale(journal: Journal) -> str | None:
    """The sale most recently started at the till: by the cashier, or by the counter (the right card after
    a wrong one, a case paid later by card)."""
    rows = journal.query("SELECT stream FROM events WHERE kind = 'flow_saved' "
                         "AND json_extract(payload, '$.flow.flow') = 'sale' ORDER BY seq DESC LIMIT 1")
    return rows[0][0] if rows else None


def _latest(journal: Journal, kind: str, stream: str | None) -> dict[str, Any] | None:
    where, params = ("AND stream = ?", (kind, stream)) if stream is not None else ("", (kind,))
    rows = journal.query(f"SELECT payload FROM events WHERE kind = ? {where} ORDER BY seq DESC LIMIT 1", params)
    return json.loads(rows[0][0]) if rows else None


def _cases(journal: Journal, sale: str | None) -> list[tuple[str, str, str, str | None]]:
    """(case id, type, state, resolution) of the sale's cases, newest first; of every case without a sale."""
    if sale is None:
        return journal.query("SELECT case_id, case_type, state, resolution FROM cases ORDER BY opened_at DESC")
    return journal.query("SELECT case_id, case_type, state, resolution FROM cases, json_each(cases.sale_ids) "
                         "WHERE json_each.value = ? ORDER BY opened_at DESC", (sale,))


def failures(replay: Replay, step: ExpectStep) -> list[str]:
    station = replay.station_
    journal, sim = station.journal, station.sim
    sale = None if step.sale == NO_SALE else replay.sale_id(step.sale)
    found: list[str] = []

    def differs(what: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            found.append(f"{what}: expected {expected}, found {actual}")

    saved = _latest(journal, "flow_saved", sale)
    for name, expected in step.checks:
        if name == "flow":
            live = station.counter.flow_of(sale) if sale is not None else None
            if expected == NONE:
                differs("flow", NONE, live.name if live is not None else NONE)
            else:
                differs("flow", expected, saved["flow"]["flow"] if saved else NONE)
        elif name == "state":
            differs("state", expected, saved["flow"]["state"] if saved else "no flow yet")
        elif name == "prompt":
            shown = _latest(journal, "prompt_shown", sale)
            differs("prompt", expected, shown["prompt_id"] if shown else "nothing shown yet")
        elif name == "paused":
            differs("card payments paused", expected, station.counter.screen.card_payments_paused is not None)
        elif name == "receipts":
            differs("receipts printed", expected, len(sim.printer.receipts))
        elif name == "receipt":
            last = sim.printer.receipts[-1].text if sim.printer.receipts else None
            for text in expected:
                if last is None or text not in last:
                    found.append(f"receipt: expected the last receipt to say {text!r}; "
                                 + (f"it reads:\n{_indent(last)}" if last is not None else "none printed"))
        elif name == "no_receipt":
            for text in expected:
                having = [n for n, receipt in enumerate(sim.printer.receipts, 1) if text in receipt.text]
                if having:
                    found.append(f"no_receipt: receipt(s) {having} say {text!r}")
        elif name == "ledger":
            for card, amount in expected:
                charged = sim.acquirer.ledger.net_charge(card_key(card))
                differs(f"ledger {card} net charge", amount.amount_text(), _minor(charged))
        elif name == "case":
            _case(found, journal, sale, dict(expected))
        elif name == "notification":
            _notification(found, journal, sale, dict(expected))
        elif name == "journal":
            for kind, count in expected:
                on_record = journal.query("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,))[0][0]
                if count is None and not on_record:
                    found.append(f"journal: no {kind} event on record")
                elif count is not None:
                    differs(f"journal {kind} events", count, on_record)
        elif name == "no_journal":
            for kind, _ in expected:
                on_record = journal.query("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,))[0][0]
                if on_record:
                    found.append(f"no_journal: {on_record} {kind} event(s) on record")
    return found


def _case(found: list[str], journal: Journal, sale: str | None, expected: dict[str, str]) -> None:
    cases = _cases(journal, sale)
    if expected.get("type"):
        cases = [case for case in cases if case[1] == expected["type"]]
    whose = f"of sale {sale}" if sale else "on record"
    kind = f"{expected['type']} " if expected.get("type") else ""
    if expected.get("state") == NONE:
        if cases:
            found.append(f"case: expected no {kind}case {whose}, found {', '.join(c[0] for c in cases)}")
        return
    if not cases:
        every = ", ".join(f"{c[0]} ({c[1]}, {c[2]})" for c in _cases(journal, sale)) or "none"
        found.append(f"case: expected a {kind}case {whose}; cases {whose}: {every}")
        return
    case_id, _, state, resolution = cases[0]
    if expected.get("state") and expected["state"] != state:
        found.append(f"case {case_id}: expected {expected['state']}, found {state}")
    if expected.get("resolution") and expected["resolution"] != resolution:
        found.append(f"case {case_id}: expected resolution {expected['resolution']}, found {resolution}")


def _notification(found: list[str], journal: Journal, sale: str | None, expected: dict[str, str]) -> None:
    template, state = expected["template"], expected.get("state")
    case_ids = {case[0] for case in _cases(journal, sale)}
    if state == "not_drafted":
        rows = [p for p in (json.loads(r[0]) for r in journal.query(
            "SELECT payload FROM events WHERE kind = 'notification_not_drafted'"))
            if p["template"] == template and (sale is None or p["case_id"] in case_ids)]
        if not rows:
            found.append(f"notification {template}: expected it not drafted (no contact), but no such record")
        return
    mine = [h for h in histories(journal) if h.draft.template == template
            and (sale is None or h.draft.case_id in case_ids)]
    if not mine:
        drafted = ", ".join(sorted({h.draft.template for h in histories(journal)})) or "none"
        found.append(f"notification {template}: not drafted; drafted: {drafted}")
    elif state is not None and mine[-1].state != state:
        found.append(f"notification {template}: expected {state}, found {mine[-1].state}")


def _minor(minor: int) -> str:
    return ("-" if minor < 0 else "") + Money(abs(minor)).amount_text()


def _indent(text: str) -> str:
    return "\n".join("    | " + line for line in text.rstrip("\n").splitlines())
