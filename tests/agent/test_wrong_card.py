"""刷错卡 at the counter, against the virtual acquirer's ledger over real loopback TCP: the wrong card's charge
is voided (or refunded once the batch settled) before the right card is charged, never both at once."""

from __future__ import annotations

import pytest

from tests.agent.rig import Rig, run


async def approved(rig: Rig, amount: str = "58.00", card: str = "visa") -> str:
    sale = rig.sale(amount, card)
    await rig.until(lambda: bool(rig.receipts(sale)), jump=True)
    return sale


def wrong_card_flow(rig: Rig, sale: str):
    flow = rig.flow(sale)
    assert flow is not None and flow.name == "wrong_card"
    return flow


def test_voided_in_the_open_batch_then_the_right_card_is_charged(tmp_path):
    async def scenario(rig):
        sale = await approved(rig, card="visa")
        flow_id = rig.counter.report_wrong_card(sale)
        assert rig.prompt_of(flow_id) == "wrong_card.confirm"
        assert rig.net("visa") == 5800
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        assert rig.net("visa") == 0  # taken back before anything else is charged
        rig.counter.act(flow_id, "another_card")
        right = f"{sale}-right"
        assert rig.flow(right).name == "sale" and rig.flow(right).state.name == "WAITING_CARD"
        rig.swipe("mastercard")
        await rig.until(lambda: bool(rig.receipts(right)), jump=True)
        assert (rig.net("visa"), rig.net("mastercard")) == (0, 5800)
        rig.counter.act(flow_id, "contact_saved", contact_id="C-9")
        assert rig.prompt_of(flow_id) == "wrong_card.done"
        [draft] = [d for d in rig.counter.outbox.drafts() if d["case_id"] == flow_id]
        assert draft["template"] == "wrong_card.void" and "411111******1111" in draft["text"]["en"]
        assert [e.payload["resolution"] for e in rig.events("case_resolved", sale)] == ["voided"]
        assert rig.events("sale_started", right)[0].payload["case_id"] == flow_id
        rig.audit()

    run(tmp_path, scenario)


def test_after_settlement_the_void_is_refused_and_a_refund_takes_it_back(tmp_path):
    async def scenario(rig):
        sale = await approved(rig, card="unionpay")
        rig.acquirer.settle()
        flow_id = rig.counter.report_wrong_card(sale)
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_refund", jump=True)
        codes = [e.payload["request"]["3"] for e in rig.events("host_request", sale)]
        assert codes == ["000000", "020000", "200000"]  # the sale, the refused void, the refund
        assert rig.net("unionpay") == 0
        rig.counter.act(flow_id, "customer_leaves")
        rig.counter.act(flow_id, "contact_declined")
        assert not rig.events("case_resolved", sale)  # a refund takes days: the case follows it
        rig.audit()

    run(tmp_path, scenario)


def test_with_the_link_down_nothing_is_taken_back_and_nothing_else_charged(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        await rig.acquirer.refuse_connections()
        await rig.until(lambda: not rig.host.up, jump=True)
        flow_id = rig.counter.report_wrong_card(sale)
        rig.counter.act(flow_id, "confirm_wrong_card")
        assert rig.prompt_of(flow_id) == "wrong_card.not_sent"
        assert rig.net("visa") == 5800
        await rig.acquirer.allow_connections()
        await rig.until(lambda: rig.host.up, jump=True)
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        assert rig.net("visa") == 0
        rig.audit()

    run(tmp_path, scenario)


def test_no_answer_to_the_void_reverses_it_and_it_can_be_tried_again(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_wrong_card(sale)
        rig.acquirer.drop_after_request()
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.unknown", jump=True)
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.not_sent", jump=True)  # reversal acked
        assert rig.net("visa") == 5800  # the void was undone: the sale stands until it is taken back
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        assert rig.net("visa") == 0
        rig.audit()

    run(tmp_path, scenario)


def test_only_an_approved_sale_can_be_reported_and_only_once(tmp_path):
    async def scenario(rig):
        declined = rig.sale("12.51", "mastercard")
        await rig.until(lambda: rig.flow(declined) is not None and rig.flow(declined).name == "declined", jump=True)
        with pytest.raises(ValueError, match="no approved receipt"):
            rig.counter.report_wrong_card(declined)
        sale = await approved(rig)
        rig.counter.report_wrong_card(sale)
        with pytest.raises(ValueError, match="already being taken back"):
            rig.counter.report_wrong_card(sale)

    run(tmp_path, scenario)


# -- a restart with the void in doubt (Counter._resume_in_doubt) ---------------------------------------------


def the_void(kind: str, payload: dict) -> bool:
    """A crash point: right as the void (0200, processing code 020000) is journaled, before its bytes leave."""
    return kind == "host_request" and payload["request"]["3"] == "020000"


def resumed_states(rig: Rig, sale: str, flow_id: str) -> list[str]:
    """The new agent found the wrong_card flow in doubt: the states it then journaled for it, in order."""
    [resumed] = rig.events("resumed_in_doubt", sale)
    assert resumed.payload == {"flow_id": flow_id, "request_on_record": True, "answer_on_record": False}
    return [e.payload["flow"]["state"] for e in rig.events("flow_saved", sale)
            if e.seq > resumed.seq and e.payload["flow_id"] == flow_id]


def watch_net(rig: Rig, card: str) -> list[int]:
    """The card's net charge after everything the acquirer does from now on (to see it never go negative)."""
    seen = [rig.net(card)]
    on_log = rig.acquirer.on_log

    def logged(line: str) -> None:
        seen.append(rig.net(card))
        on_log(line)

    rig.acquirer.on_log = logged
    return seen


async def confirm_again_once_the_link_is_back(rig: Rig, sale: str, flow_id: str, seen: list[int]) -> None:
    """The reversal of the void in doubt is acknowledged: the charge stands on the wrong card, nothing was
    charged anywhere else, and the cashier confirms again — a new void this time answered."""
    await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.not_sent", jump=True)
    assert rig.events("reversal_acknowledged", sale)
    assert rig.net("visa") == 5800  # the void in doubt was reversed: the sale stands, and nothing else moved
    assert rig.flow(sale).flow_id == flow_id and not rig.events("sale_started", f"{sale}-right")
    rig.counter.act(flow_id, "confirm_wrong_card")
    await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
    await rig.until(rig.drained, jump=True)
    assert rig.net("visa") == 0
    assert min(seen) >= 0, f"the wrong card went negative: {seen}"
    voids = [e.payload["request"]["11"] for e in rig.events("host_request", sale)
             if e.payload["request"]["3"] == "020000"]
    assert len(voids) == 2 and voids[0] != voids[1]  # a new void, under a STAN of its own
    assert rig.audit() == {sale: 0}


def test_a_crash_as_the_void_is_journaled_reverses_it_on_restart(tmp_path):
    """The power goes right as the void is journaled, before its answer: the new agent cannot know whether
    it left (write before the wire), so the cancellation is unknown and the void is reversed — never
    retried blind, never taken for done."""
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_wrong_card(sale)
        seen = watch_net(rig, "visa")
        rig.crash_after(the_void)
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.crashed is not None)
        await rig.stop()
        assert rig.net("visa") == 5800  # cut before its bytes left: the acquirer never saw the void
        await rig.start(rig.crashed)
        # found CANCELLING with its void on record: it may have left, and its answer is lost
        assert resumed_states(rig, sale, flow_id)[:2] == ["AWAITING_CANCEL", "CANCEL_UNKNOWN"]
        void_stan = next(e.payload["request"]["11"] for e in rig.events("host_request", sale)
                         if e.payload["request"]["3"] == "020000")
        [queued] = rig.events("reversal_queued", sale)
        assert queued.payload["original"]["11"] == void_stan  # the void is reversed, not the sale
        await confirm_again_once_the_link_is_back(rig, sale, flow_id, seen)

    run(tmp_path, scenario)


@pytest.mark.parametrize("fault", ["black_hole", "late"])
def test_a_restart_awaiting_the_voids_answer_reverses_it(tmp_path, fault):
    """The void is on the wire and unanswered when the agent restarts: the acquirer swallowed it (black hole)
    or applied it and holds its approval (late), which then reaches the new agent after the reversal. Either
    way the new agent reverses the void, and the late approval is journaled as unmatched, never applied."""
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_wrong_card(sale)
        seen = watch_net(rig, "visa")
        if fault == "black_hole":
            rig.acquirer.black_hole()
        else:
            rig.acquirer.late_response(35)
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.flow(sale).state.name == "AWAITING_CANCEL")
        await rig.settle()
        assert rig.net("visa") == (5800 if fault == "black_hole" else 0)
        await rig.crash_and_restart("awaiting-void.sqlite")
        assert resumed_states(rig, sale, flow_id)[:1] == ["CANCEL_UNKNOWN"]
        if fault == "late":
            await rig.until(lambda: bool(rig.events("host_unmatched_response")), jump=True)
            assert rig.flow(sale).state.name == "NOT_SENT"  # the held approval of the void changed nothing
        await confirm_again_once_the_link_is_back(rig, sale, flow_id, seen)

    run(tmp_path, scenario)


def test_a_crash_right_after_the_voids_approval_is_journaled_takes_that_approval_on_restart(tmp_path):
    """Found by crash injection (python -m bench.crash, the void's point 'journal host_response'): the new
    agent found the flow awaiting the void's answer and reversed the void, though its approval was on
    record — the reversal put the charge back on the wrong card. Every response is journaled as it
    arrives so that a restart can use it: the flow now hears the approval and goes on."""
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_wrong_card(sale)
        rig.crash_after(lambda kind, payload: kind == "host_response"
                        and payload.get("response", {}).get("3") == "020000")
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.crashed is not None)
        await rig.stop()
        assert rig.net("visa") == 0  # the acquirer applied the void
        await rig.start(rig.crashed)
        [resumed] = rig.events("resumed_in_doubt", sale)
        assert resumed.payload == {"flow_id": flow_id, "request_on_record": True, "answer_on_record": True}
        await rig.until(rig.at(sale, "wrong_card", "TAKEN_BACK"), jump=True)
        await rig.settle()
        assert not rig.events("reversal_queued", sale)
        assert rig.net("visa") == 0
        rig.audit()

    run(tmp_path, scenario)
