""""Expect it as it is now": an `expect` step that pins down what is true at this moment — the latest
sale's flow, state and prompt, the paper that came out, what each card was charged at the acquirer, the
sale's case — so a session recorded by hand checks something when it is replayed.

Read from where the replay's own checks read (journal, ledger, paper), so the step passes when it is
taken, and fails on a replay only if the agent behaves differently.
"""

from __future__ import annotations

import json
from typing import Any

from agent.station import Station
from domain.money import Money
from simulator.cardreader.wallet import WALLET
from simulator.host.ledger import card_key
from simulator.replay.checks import latest_sale
from simulator.replay.steps import LAST, NO_SALE, ExpectStep


def expect_now(station: Station) -> ExpectStep:
    journal, sim = station.journal, station.sim
    sale = latest_sale(journal)
    checks: list[tuple[str, Any]] = []
    if sale is not None:
        saved = _latest(station, "flow_saved", sale)
        if saved is not None:
            checks += [("flow", saved["flow"]["flow"]), ("state", saved["flow"]["state"])]
        shown = _latest(station, "prompt_shown", sale)
        if shown is not None:
            checks.append(("prompt", shown["prompt_id"]))
    if station.counter.screen.card_payments_paused is not None:
        checks.append(("paused", True))
    checks.append(("receipts", len(sim.printer.receipts)))
    charged = tuple((key, Money(net)) for key in WALLET if sim.acquirer.ledger.for_card(key)
                    and (net := sim.acquirer.ledger.net_charge(card_key(key))) >= 0)
    if charged:
        checks.append(("ledger", charged))
    if sale is not None:
        checks.append(("case", _case(station, sale)))
    return ExpectStep(tuple(checks), LAST if sale is not None else NO_SALE)


def _latest(station: Station, kind: str, sale: str) -> dict[str, Any] | None:
    rows = station.journal.query("SELECT payload FROM events WHERE kind = ? AND stream = ? ORDER BY seq DESC "
                                 "LIMIT 1", (kind, sale))
    return json.loads(rows[0][0]) if rows else None


def _case(station: Station, sale: str) -> tuple[tuple[str, str], ...]:
    """The sale's newest case (type, state and, once closed, resolution), or none."""
    rows = station.journal.query("SELECT case_type, state, resolution FROM cases, json_each(cases.sale_ids) "
                                 "WHERE json_each.value = ? ORDER BY opened_at DESC LIMIT 1", (sale,))
    if not rows:
        return (("state", "none"),)
    case_type, state, resolution = rows[0]
    found = (("type", case_type), ("state", state))
    return found + ((("resolution", resolution),) if resolution else ())
