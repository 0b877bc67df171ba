"""Power cuts between two journal commits of the counter, recovered from the journal alone (money rule 2).

Each test runs a sale over real loopback TCP, takes the image of the disk right after one chosen commit
(the process dies there: nothing more leaves it), starts a new agent on that image, lets it recover
with the link up, and then holds the journal against the acquirer's ledger. The last test cuts after
every commit of a sale in turn: approved, declined, dropped after the host charged, answered too late.
"""

import asyncio

import pytest

from tests.agent.rig import Rig, run


def saved(flow: str, state: str):
    """A crash point: right as `flow` is saved in `state` (cut with the transaction it is part of)."""
    return lambda kind, payload: (kind == "flow_saved" and payload["flow"]["flow"] == flow
                                  and payload["flow"]["state"] == state)


def journaled(kind: str):
    """A crash point: right as an entry of `kind` is journaled."""
    return lambda k, _: k == kind


async def crash_then_recover(rig, point, *, fault: str | None):
    rig.crash_after(point)
    if fault == "drop":
        rig.acquirer.drop_after_request()
    sale = rig.sale("30.00")
    await rig.until(lambda: rig.crashed is not None)
    await rig.stop()
    await rig.start(rig.crashed)
    await rig.until(rig.drained, jump=True)
    await rig.settle()
    return sale


@pytest.mark.parametrize(("point", "fault"), [
    pytest.param(journaled("host_request"), "drop", id="request-journaled-dropped"),
    pytest.param(journaled("host_request"), None, id="request-journaled-approved"),
    pytest.param(journaled("host_request_unanswered"), "drop", id="unanswered-journaled"),
    pytest.param(journaled("reversal_queued"), "drop", id="reversal-queued"),
    pytest.param(journaled("host_response"), None, id="approval-journaled"),
    pytest.param(journaled("receipt_to_print"), None, id="receipt-queued"),
])
def test_a_crash_as_a_request_its_answer_or_its_effect_is_journaled_is_recovered(tmp_path, point, fault):
    async def scenario(rig):
        sale = await crash_then_recover(rig, point, fault=fault)
        paid = rig.audit()
        assert paid.get(sale, 0) in (0, 3000)
        assert len(rig.receipts(sale)) == (1 if paid.get(sale) else 0)

    run(tmp_path, scenario)


@pytest.mark.parametrize(("point", "fault"), [
    pytest.param(saved("sale", "HANDED_OVER"), "drop", id="sale-handed-over-before-its-successor"),
    pytest.param(saved("network_drop", "OUTCOME_UNKNOWN"), "drop", id="outcome-unknown-before-its-reversal"),
    pytest.param(saved("sale", "APPROVED"), None, id="approved-before-its-receipt"),
])
def test_a_crash_between_a_flow_saved_and_its_effects_loses_nothing(tmp_path, point, fault):
    """Was: a flow's new state was committed before the effects of its transition, and a resumed flow never
    re-performs them — a crash in between lost the successor of a sale handed over or the reversal of an
    outcome unknown (a forgotten hold), or the receipt of an approval the cashier never saw."""
    async def scenario(rig):
        sale = await crash_then_recover(rig, point, fault=fault)
        paid = rig.audit()  # charged with no receipt: a forgotten hold, or an approval the cashier never saw
        assert len(rig.receipts(sale)) == (1 if paid.get(sale) else 0)

    run(tmp_path, scenario)


# (fault, amount, the sale's flow and state once it is over)
SALES = {
    "approved": (None, "58.00", None),
    "declined": (None, "58.51", ("declined", "DECLINED")),
    "dropped": ("drop", "58.00", ("network_drop", "RELEASED")),
    "late": ("late", "58.00", ("network_drop", "RELEASED")),
}


async def cut_at_commit(folder, count, case):
    """One run of the sale with the power cut after its `count`-th commit; False if it finished first."""
    fault, amount, end = SALES[case]
    folder.mkdir()
    rig = Rig(folder / "j.sqlite", quiet=0.01)
    await rig.start()
    try:
        rig.crash_at_commit(count)
        if fault == "drop":
            rig.acquirer.drop_after_request()
        elif fault == "late":
            rig.acquirer.late_response(35)
        sale = rig.sale(amount)

        def over():
            flow = rig.flow(sale)
            return rig.drained() and (flow is None if end is None else
                                      flow is not None and (flow.name, flow.state.name) == end)

        await rig.until(lambda: rig.crashed is not None or over(), jump=True)
        if rig.crashed is None:
            rig.audit()
            return False
        await rig.stop()
        await rig.start(rig.crashed)
        await rig.until(rig.drained, jump=True)
        await rig.settle()
        paid = rig.audit()
        assert paid.get(sale, 0) in (0, 5800)
        assert len(rig.receipts(sale)) == (1 if paid.get(sale) else 0), f"cut after commit {count}"
        assert rig.net() == paid.get(sale, 0)
        return True
    finally:
        await rig.stop()
        await rig.acquirer.close()


@pytest.mark.parametrize("case", SALES)
def test_a_power_cut_after_any_commit_of_a_sale_is_recovered(tmp_path, case):
    count = 1
    while asyncio.run(cut_at_commit(tmp_path / f"cut-{count}", count, case)):
        count += 1
    assert count > 3  # the sale did commit several times, and each cut was recovered
