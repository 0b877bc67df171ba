"""Crash injection, the fast subset of `python -m bench.crash`: the agent as a process of its own, SIGKILLed
at every sixth instrumented point of a sale, a reversal, a void, a refund, a print and a notification, and
at the points where crash injection once found a recovery that broke the money rules; restarted on the
journal it left; held to the money rules against the acquirer's ledger, the requests it received and the
printer's paper. The whole run (every point) stays in bench/.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from bench.agent_process import context
from bench.crash import KINDS, crash_kind

EVERY = 6
# Where a kill once broke a recovery (tests/agent/test_wrong_card.py, test_printer_service.py and
# test_notify_unknown.py say how).
FOUND = {"void": "journal host_response", "print": "journal receipt_printed", "notification": "send e-mail"}
# What each kind must be seen to do, so that a scenario that stopped reaching its sends is not a pass.
SENDS = {
    "sale": ("send acquirer 0200", "send printer"),
    "reversal": ("send acquirer 0200", "send acquirer 0400"),
    "void": ("send acquirer 0200", "send printer"),
    "refund": ("send acquirer 0200", "send e-mail"),
    "print": ("send acquirer 0200", "send printer"),
    "notification": ("send acquirer 0200", "send e-mail"),
}


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and the reader's pty are POSIX")
def test_an_agent_killed_at_points_of_every_kind_recovers_with_the_money_rules_kept(tmp_path):
    async def every_kind() -> dict[str, dict]:
        ctx = context()
        return {kind: await crash_kind(kind, tmp_path, every=EVERY, jobs=2, ctx=ctx,
                                       also=lambda name, kind=kind: name == FOUND.get(kind))
                for kind in KINDS}

    results = asyncio.run(every_kind())
    for kind, result in results.items():
        assert result["violations"] == [], kind
        assert result["problems"] == [], kind
        assert result["e_mails_not_on_record"] == [], kind  # sent, yet a later send would repeat it
        assert result["runs"] == result["killed"] == result["recovered"] >= result["points"] // EVERY, kind
        named = result["named"]
        assert any(name.startswith("journal ") for name in named), kind
        for send in SENDS[kind]:
            assert any(name.startswith(send) for name in named), f"{kind}: no point '{send}' in {named}"
    assert {"journal host_response"} <= set(results["void"]["named"])
