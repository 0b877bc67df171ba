"""How the acquirer answers a 0500: balanced, out of balance or no totals — and each forced on demand."""

import pytest

from domain.clock import VirtualClock
from simulator.host.core import AcquirerCore
from simulator.host.server import VirtualAcquirer

from .terminal import TID, Terminal, refund, reversal, run, sale, settlement, void


def answer(core: AcquirerCore, request: dict) -> str:
    response = core.handle(request).response
    assert response is not None
    return response["39"]


def trade(core: AcquirerCore) -> None:
    """Two sales standing (10.00 + 25.00), one declined, one reversed, one voided, a refund of 3.00."""
    answer(core, sale(1, 1000))
    answer(core, sale(2, 2500, "mastercard"))
    answer(core, sale(3, 1051))
    answer(core, sale(4, 4000))
    answer(core, reversal(sale(4, 4000)))
    answer(core, sale(5, 700))
    answer(core, void(6, core.ledger.entry(TID, 5).rrn, 700))
    answer(core, refund(7, 300))


def test_the_totals_count_standing_sales_and_refunds_only():
    core = AcquirerCore(VirtualClock())
    trade(core)
    assert answer(core, settlement(8, debits=(3, 4200), credits=(1, 300))) == "95"  # the reversed one counted
    assert core.ledger.entry(TID, 1).batch is None
    assert answer(core, settlement(9, debits=(2, 3500), credits=(1, 300))) == "00"
    assert core.ledger.entry(TID, 1).settled and core.ledger.entry(TID, 7).settled


def test_a_repeat_of_a_balanced_settlement_whose_answer_was_lost_is_balanced_again():
    core = AcquirerCore(VirtualClock())
    answer(core, sale(1, 1000))
    assert answer(core, settlement(2, debits=(1, 1000))) == "00"
    handled = core.handle(settlement(3, debits=(1, 1000)))
    assert handled.response["39"] == "00" and "a repeat" in handled.note
    assert answer(core, settlement(4, debits=(1, 999))) == "95"  # not a repeat: a difference


def test_entries_the_host_closed_itself_still_count_until_the_terminal_settles():
    """End of day at the host (`settle`) closes batches; the terminal's own 0500 still covers its day."""
    async def scenario(acquirer: VirtualAcquirer, clock: VirtualClock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1000))
        acquirer.settle()
        await terminal.request(sale(2, 500))
        balanced = await terminal.request(settlement(3, debits=(2, 1500)))
        await terminal.close()
        return balanced["39"], acquirer.ledger.entry(TID, 2).settled

    assert run(scenario) == ("00", True)


@pytest.mark.parametrize(("command", "code", "closed"), [
    ("settlement answer unavailable", "96", False),
    ("settlement answer unbalanced", "95", False),
    ("settlement answer balanced", "00", True),
])
def test_each_answer_can_be_forced_whatever_the_totals(command, code, closed):
    async def scenario(acquirer: VirtualAcquirer, clock: VirtualClock):
        terminal = await Terminal.connect(acquirer.url)
        await terminal.request(sale(1, 1000))
        said = await acquirer.control(command)
        totals = (1, 1000) if code != "00" else (5, 1)  # right totals refused, wrong ones accepted
        forced = await terminal.request(settlement(2, debits=totals))
        then = await terminal.request(settlement(3, debits=(1, 1000) if code != "00" else (0, 0)))
        await terminal.close()
        return said, forced["39"], then["39"], acquirer.ledger.entry(TID, 1).batch is not None

    said, forced, then, batch_closed = run(scenario)
    assert said.startswith("ok: settlement answers: ") and said.endswith("next 1")
    assert forced == code and then == "00"  # the override is used up
    assert batch_closed


def test_a_forced_answer_lasts_as_long_as_asked_and_normal_ends_it():
    async def scenario(acquirer: VirtualAcquirer, clock: VirtualClock):
        terminal = await Terminal.connect(acquirer.url)
        answers = [await acquirer.control("settlement answer unavailable always")]
        answers += [(await terminal.request(settlement(stan, debits=(0, 0))))["39"] for stan in (1, 2)]
        answers += [await acquirer.control("settlement answer"), await acquirer.control("settlement answer normal")]
        answers.append((await terminal.request(settlement(3, debits=(0, 0))))["39"])
        answers += [await acquirer.control(line) for line in ("settlement answer sometimes", "settlement answer "
                                                               "balanced 0", "settlement answer normal 2")]
        await terminal.close()
        return answers

    assert run(scenario) == [
        "ok: settlement answers: unavailable (96), until cleared", "96", "96",
        "ok: settlement answers: unavailable (96), until cleared",
        "ok: settlement answers: compared with the host's totals", "00",
        "error: word 3 'sometimes': expected one of balanced, unbalanced, unavailable, normal",
        "error: word 4 '0': expected a count (a whole number from 1, or always)",
        "error: word 4 '2': unexpected, the command is complete without it",
    ]
