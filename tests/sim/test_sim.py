"""The simulator as a QA engineer uses it: a scenario loaded and stepped through to the end, a sale driven by
hand from the wallet panel to the paper roll, and a session recorded by hand that replays headless to a pass."""

from __future__ import annotations

import asyncio

from simulator.replay.engine import Replay
from simulator.replay.scenario import load
from simulator.replay.steps import ActionStep, AdvanceStep, ContactStep, ExpectStep, ReaderStep, SaleStep
from tests.sim.driver import Sim, run

DROP = """\
# The line drops after the acquirer charged the card; the customer leaves without details.
name: drop, then the reversal
steps:
  - sale: 30.00
  - acquirer: fault drop
  - reader: present unionpay chip
  - expect: {flow: network_drop, state: OUTCOME_UNKNOWN, ledger: {unionpay: 30.00}}
  - action: customer_leaves
  - contact: declined
  - expect: {ledger: {unionpay: 0.00}, case: {type: network_drop, state: closed}}
    within: 5m
"""


def test_a_scenario_is_loaded_and_stepped_through_to_the_end(tmp_path):
    path = tmp_path / "drop.yaml"
    path.write_text(DROP, encoding="utf-8")

    async def body(sim: Sim) -> None:
        await sim.press("ctrl+o")
        sim.app.screen.query_one("#path").value = str(path)
        await sim.press("enter")
        assert [row[2] for row in sim.steps()] == ["▶", *["·"] * 6]  # loaded: nothing taken, step 1 next

        await sim.press("ctrl+n")
        await sim.press("ctrl+n")
        rows = sim.steps()
        assert [row[:3] for row in rows[:3]] == [["1", "1", "✓"], ["2", "2", "✓"], ["", "3", "▶"]]
        assert rows[0][4].startswith("sale sale-1 for CNY 30.00")

        await sim.press("ctrl+g")  # the rest, to the end
        rows = sim.steps()
        assert [row[2] for row in rows] == ["✓"] * 7
        assert rows[-1][4].startswith("as expected at t=")
        assert sim.app.session.remaining == 0
        assert any(line.endswith("step     ok step 7 " + load(path).steps[6].describe() + ": "
                                 + sim.app.session.ran[-1][0].detail) for line in sim.log())
        assert "network.resolved" in " ".join(sim.log())  # the agent's journal, in the log as it happened
        # The reversal went out when the link came back: the recovery says so, finished.
        assert "finished" in sim.recovery().lower()

    run(body)


def test_a_failed_expectation_stops_the_run_and_says_what_it_found(tmp_path):
    path = tmp_path / "drop.yaml"
    path.write_text(DROP.replace("ledger: {unionpay: 30.00}", "ledger: {unionpay: 31.00}"), encoding="utf-8")

    async def body(sim: Sim) -> None:
        await sim.press("ctrl+g")
        rows = sim.steps()
        assert [row[2] for row in rows] == ["✓", "✓", "✓", "✗", "▶", "·", "·"]
        assert sim.app.session.ran[3][0].detail == "ledger unionpay net charge: expected 31.00, found 30.00"
        assert "FAILED step 4" in " ".join(sim.log())

    run(body, scenario=load(path))


def test_a_sale_by_hand_from_the_wallet_to_the_paper_roll():
    async def body(sim: Sim) -> None:
        await sim.pilot.press(*"58", "enter")  # the amount field has the focus
        await sim.settle()
        assert "CNY 58.00" in sim.till()

        await sim.focus("#wallet")
        await sim.press("c")  # the highlighted card, visa, by chip
        [receipt] = sim.paper()
        assert "CNY 58.00" in receipt and "APPROVED" in receipt and "411111******1111" in receipt
        assert "Approved" in sim.till()
        assert sim.app.session.replay.station.sim.acquirer.ledger.net_charge("visa") == 5800
        assert [row[3] for row in sim.steps()] == ["sale: '58.00'", "reader: present visa chip"]
        assert "Chip" in sim.footer() and "Next step" in sim.footer()

    run(body)


def test_a_session_recorded_by_hand_replays_headless_to_a_pass(tmp_path):
    record = tmp_path / "recorded" / "drop-by-hand.yaml"

    async def body(sim: Sim) -> None:
        await sim.pilot.press(*"30", "enter")
        await sim.settle()
        await sim.focus("#acquirer-commands")
        await sim.press("d")  # fault drop: the request is applied, the answer never comes
        await sim.focus("#wallet")
        await sim.press("down", "down", "t")  # unionpay, tapped
        assert "do not swipe again" in sim.recovery().lower()
        await sim.press("ctrl+y")  # expect it as it is now
        assert "F4" in sim.footer()

        await sim.press("f4")  # the customer leaves: the contact form comes up
        form = sim.app.screen
        assert type(form).__name__ == "ContactScreen"
        form.query_one("#phone").value = "139 1234 5678"
        form.query_one("#channel-sms").value = True
        form.query_one("#consent").value = True
        await sim.press("f5")
        assert sim.app.screen is sim.app.main  # saved: the form is gone

        await sim.press("ctrl+f")  # five seconds: the link is back, the reversal goes out
        await sim.press("ctrl+y")

    run(body, record=record)

    scenario = load(record)
    kinds = [type(step) for step in scenario.steps]
    assert kinds == [SaleStep, type(scenario.steps[1]), ReaderStep, ExpectStep, ActionStep, ContactStep,
                     AdvanceStep, ExpectStep]
    assert scenario.steps[1].describe() == "acquirer: fault drop"
    assert scenario.steps[2].describe() == "reader: present unionpay tap"
    assert dict(scenario.steps[3].checks)["state"] == "OUTCOME_UNKNOWN"
    assert dict(scenario.steps[5].details)["phone"] == "139 1234 5678"
    final = dict(scenario.steps[7].checks)
    assert final["state"] == "RESOLVED" and dict(final["ledger"])["unionpay"].minor == 0

    result = asyncio.run(Replay(scenario, tmp_path / "replay").run())
    assert result.passed, result.failure
