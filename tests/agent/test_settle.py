"""End of day against the virtual acquirer over loopback TCP, on a virtual clock: balanced, out of balance
until the stored reversal is sent, no totals, no answer, a reversal that will not go — and the totals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.journal import Journal
from agent.settle.end_of_day import EndOfDay, on_own_link
from agent.settle.totals import batch_totals
from domain.money import Money
from flows.prompts import render
from tests.agent.rig import Rig

QUIET = 0.05


async def trade(rig: Rig, *amounts: str, dropped: str | None = None) -> list[str]:
    """Sales at the counter; with `dropped`, one more whose connection drops after the acquirer charged it,
    its reversal refused once (96) so that it is still stored when the counter closes."""
    sales = []
    for amount in amounts:
        sale = rig.sale(amount)
        await rig.until(lambda s=sale: rig.flow(s) is None or rig.flow(s).name != "sale", jump=True)
        sales.append(sale)
    if dropped is not None:
        rig.acquirer.drop_after_request()
        sales.append(rig.sale(dropped))
        await rig.until(lambda: rig.host.saf.pending() != [], jump=True)  # queued while the link is down
        rig.acquirer.rules.set_next(1, "96")
        await rig.until(lambda: rig.events("reversal_unanswered"), jump=True)
    return sales


async def end_of_day(rig: Rig, journal: Journal, prompts: list) -> EndOfDay:
    """Settle with the counter closed, as `recoup settle` does; virtual time jumps whenever all is quiet."""
    task = asyncio.create_task(on_own_link(journal, rig.clock, rig.settings, batch_totals(journal, "CNY"),
                                           address=("127.0.0.1", rig.acquirer.port), on_prompt=prompts.append,
                                           backoff=(1.0,), saf_backoff=(60.0,)))
    while not task.done():
        log = len(rig.acquirer.log)
        await asyncio.sleep(QUIET)
        if len(rig.acquirer.log) == log and not task.done():
            rig.clock.jump()
    return await task


def settle(tmp_path: Path, scenario, *amounts: str, dropped: str | None = None):
    """Trade at the counter, close it, run `scenario(rig, journal)`, and return what it returns."""
    async def main():
        rig = Rig(tmp_path / "journal.sqlite")
        await rig.start()
        try:
            await trade(rig, *amounts, dropped=dropped)
        finally:
            await rig.stop()
        journal = Journal.open(rig.path, clock=rig.clock)
        try:
            return await scenario(rig, journal)
        finally:
            journal.close()
            await rig.acquirer.close()

    return asyncio.run(main())


def outcome_of(run: EndOfDay, journal: Journal) -> dict:
    finished = list(journal.events(kind="settlement_finished"))
    assert [event.payload["outcome"] for event in finished][-1] == run.flow.state.value
    return finished[-1].payload


def test_balanced_closes_the_batch_and_the_next_one_starts_empty(tmp_path):
    async def scenario(rig, journal):
        prompts: list = []
        first = await end_of_day(rig, journal, prompts)
        second_totals = batch_totals(journal, "CNY")
        return first, prompts, second_totals, rig.acquirer.ledger.entries

    run, prompts, after, entries = settle(tmp_path, scenario, "58.00", "12.50", "10.51")
    assert run.outcome == "BALANCED"
    assert [p.prompt_id for p in prompts] == ["settlement.settling", "settlement.balanced"]
    screen = render(prompts[-1], "en")
    assert screen.title == "Settled, in balance: 2 sale(s) CNY 70.50, 0 refund(s) CNY 0.00"
    assert all(entry.batch is not None for entry in entries if entry.approved)
    assert (after.sales, after.sales_amount) == (0, Money(0))


def test_out_of_balance_sends_the_stored_reversal_then_balances(tmp_path):
    async def scenario(rig, journal):
        prompts: list = []
        assert journal.query("SELECT state FROM saf") == [("queued",)]
        rig.acquirer.rules.set_next(1, "96")  # refused again when the link comes up: still stored at the 0500
        run = await end_of_day(rig, journal, prompts)
        return run, prompts, rig.acquirer, outcome_of(run, journal), journal.query(
            "SELECT state FROM saf")

    run, prompts, acquirer, finished, saf = settle(tmp_path, scenario, "58.00", dropped="20.00")
    assert run.outcome == "BALANCED", [p.prompt_id for p in prompts]
    assert [p.prompt_id for p in prompts] == ["settlement.settling", "settlement.sending_stored",
                                              "settlement.settling", "settlement.balanced"]
    assert finished["stored_sent"] == 1 and saf == [("acknowledged",)]
    assert acquirer.ledger.net_charge("visa") == 5800  # the dropped sale released, the other settled
    assert any("settlement out of balance" in line for line in acquirer.log)


def test_a_stored_reversal_that_will_not_go_leaves_the_batch_open(tmp_path):
    async def scenario(rig, journal):
        rig.acquirer.rules.set_next(2, "96")  # refused when the link comes up, and again when flushed
        prompts: list = []
        run = await end_of_day(rig, journal, prompts)
        return run, prompts, rig.acquirer

    run, prompts, acquirer = settle(tmp_path, scenario, "58.00", dropped="20.00")
    assert run.outcome == "STORED_UNSENT" and run.flow.ctx.pending == 1
    assert render(prompts[-1], "zh-CN").steps[0].startswith("对账不平，且还有 1 笔冲正没能送到银行")
    assert all(entry.batch is None for entry in acquirer.ledger.entries)


@pytest.mark.parametrize(("command", "outcome", "prompt"), [
    ("settlement answer unavailable", "UNAVAILABLE", "settlement.unavailable"),
    ("settlement answer unbalanced 2", "OUT_OF_BALANCE", "settlement.out_of_balance"),
])
def test_no_totals_or_a_real_difference_leave_the_batch_open_with_the_next_step(tmp_path, command, outcome, prompt):
    async def scenario(rig, journal):
        assert (await rig.acquirer.control(command)).startswith("ok")
        prompts: list = []
        run = await end_of_day(rig, journal, prompts)
        return run, prompts, rig.acquirer, outcome_of(run, journal)

    run, prompts, acquirer, finished = settle(tmp_path, scenario, "58.00")
    assert run.outcome == outcome and prompts[-1].prompt_id == prompt
    assert all(entry.batch is None for entry in acquirer.ledger.entries)
    for language in ("zh-CN", "en"):
        assert "{" not in "".join(render(prompts[-1], language).steps)
    if outcome == "UNAVAILABLE":
        assert finished["code"] == "96" and render(prompts[-1], "en").title == \
            "The acquirer cannot settle now (code 96)"


def test_an_answer_that_never_came_is_asked_again_and_the_acquirer_repeats_it(tmp_path):
    """The acquirer closed the batch but its 0510 came after the terminal stopped waiting: settling again
    sends the same totals, and the acquirer, with nothing new since, answers balanced again."""
    async def scenario(rig, journal):
        await rig.acquirer.control("fault late 90")
        prompts: list = []
        first = (await end_of_day(rig, journal, prompts)).outcome
        again = await end_of_day(rig, journal, prompts)
        return first, again.outcome, prompts, rig.acquirer.log

    first, again, prompts, log = settle(tmp_path, scenario, "58.00")
    assert (first, again) == ("NO_ANSWER", "BALANCED")
    assert prompts[1].prompt_id == "settlement.no_answer"
    assert any("a repeat, nothing left to settle" in line for line in log)


def test_with_the_acquirer_unreachable_nothing_is_sent(tmp_path):
    async def scenario(rig, journal):
        await rig.acquirer.refuse_connections()
        prompts: list = []
        run = await end_of_day(rig, journal, prompts)
        return run, journal.query("SELECT kind FROM events WHERE stream = ? ORDER BY seq", (run.flow.flow_id,))

    run, kinds = settle(tmp_path, scenario, "58.00")
    assert run.outcome == "NO_ANSWER"
    assert [kind for (kind,) in kinds] == ["settlement_requested", "settlement_not_sent", "prompt_shown",
                                           "prompt_shown", "settlement_finished"]


def test_the_totals_count_what_the_acquirer_counts(tmp_path):
    async def scenario(rig, journal):
        return batch_totals(journal, "CNY"), rig.acquirer.ledger

    totals, ledger = settle(tmp_path, scenario, "58.00", "10.51", "30.00", dropped="20.00")
    assert (totals.sales, totals.sales_amount, totals.refunds) == (2, Money(8800), 0)
    standing = [e for e in ledger.entries if e.charge > 0]
    assert len(standing) == 3  # the dropped sale's reversal is stored, not yet at the acquirer
