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
