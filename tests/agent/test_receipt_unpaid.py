"""刷小票不付款 at the counter, against the virtual acquirer over real loopback TCP and the virtual printer: the
acquirer is asked before the customer; an unpaid receipt is cancelled on paper and paid for later."""

from __future__ import annotations

import zipfile

import pytest

from agent.cases import CaseStore
from agent.contacts import ContactStore
from agent.evidence import build_evidence
from tests.agent.rig import Rig, run


async def approved(rig: Rig, amount: str = "58.00", card: str = "visa") -> str:
    sale = rig.sale(amount, card)
    await rig.until(lambda: bool(rig.receipts(sale)), jump=True)
    return sale


def unpaid_flow(rig: Rig, flow_id: str):
    return rig.counter.flows.get(flow_id)


def case(rig: Rig, case_id: str):
    return CaseStore(rig.journal, rig.clock).get(case_id)


def reports(rig: Rig, sale: str) -> list:
    return [e for e in rig.events("receipt_unpaid_reported") if e.payload["sale_id"] == sale]


def paper(rig: Rig) -> list[str]:
    return [" ".join(receipt.text.split()) for receipt in rig.printer.receipts]  # as read, not as wrapped


def test_printed_then_refused_is_found_cancelled_on_paper_and_paid_later_by_card(tmp_path):
    async def scenario(rig):
        rig.acquirer.contradict("05")  # approves, then the switch takes it back and answers 05
        sale = await approved(rig, "36.50")
        await rig.until(lambda: reports(rig, sale), jump=True)
        [report] = reports(rig, sale)
        assert report.payload["by"] == "agent" and report.payload["on_record"] == "contradicted"
        flow_id = report.payload["flow_id"]
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unpaid", jump=True)
        [inquiry] = [e.payload["request"] for e in rig.events("host_request", sale)
                     if e.payload["request"]["t"] == "0600"]
        assert inquiry["90"][4:10] == rig.requests(sale)[0]["11"]  # it names the sale's authorization
        await rig.until(lambda: any("NOT PAID" in text for text in paper(rig)), jump=True)
        slip = next(text for text in paper(rig) if "NOT PAID" in text)
        assert f"This slip cancels receipt {sale}-" in slip and flow_id in slip and "36.50" in slip
        assert rig.net("visa") == 0
        assert case(rig, flow_id).state == "open"

        rig.counter.act(flow_id, "customer_leaves")
        assert rig.counter.screen.capturing_contact[flow_id] == "payment_request"
        contact = ContactStore(rig.journal, b"k" * 32).record(consent=True, phone="13800138000", channel="sms",
                                                             case_id=flow_id)
        rig.counter.act(flow_id, "contact_saved", contact_id=contact)
        assert rig.prompt_of(flow_id) == "receipt_unpaid.case_opened" and flow_id not in rig.counter.flows
        with pytest.raises(ValueError, match=f"case {flow_id} \\(open\\) already followed"):
            rig.counter.report_unpaid(sale)
        [draft] = [d for d in rig.counter.outbox.drafts() if d["case_id"] == flow_id]
        assert draft["template"] == "receipt_unpaid.payment_requested" and "36.50" in draft["text"]["en"]
        assert case(rig, flow_id).contact_id == contact

        with zipfile.ZipFile(build_evidence(rig.journal, flow_id, tmp_path / "evidence.zip")) as package:
            texts = {name: package.read(name).decode() for name in package.namelist() if name.endswith(".txt")}
        assert any("APPROVED" in text for text in texts.values())  # the receipt the customer holds…
        assert any("NOT PAID" in text for text in texts.values())  # …and the slip that cancelled it

        paying = rig.counter.pay_case(flow_id)  # the customer comes back with a card
        rig.swipe("mastercard")
        await rig.until(lambda: case(rig, flow_id).state == "closed", jump=True)
        closed = case(rig, flow_id)
        assert closed.resolution == "paid_by_card" and paying in closed.close_note
        assert rig.events("sale_started", paying)[0].payload["case_id"] == flow_id
        assert (rig.net("visa"), rig.net("mastercard")) == (0, 3650)
        later = [d for d in rig.counter.outbox.drafts() if d["template"] == "receipt_unpaid.paid_later"]
        assert len(later) == 1 and later[0]["contact_id"] == contact
        rig.audit()

    run(tmp_path, scenario, printer=True)


def test_a_receipt_the_acquirer_still_holds_was_paid_after_all(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_unpaid(sale)
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.paid_after_all", jump=True)
        closed = case(rig, flow_id)
        assert closed.state == "closed" and closed.resolution == "paid_after_all" and "58.00" in closed.close_note
        assert not [e for e in rig.receipts(sale) if e.payload["document"]["type"] == "not_paid"]
        assert rig.net("visa") == 5800
        rig.audit()

    run(tmp_path, scenario, printer=True)


def test_the_tills_receipt_for_a_declined_sale_is_cancelled_and_paid_another_way(tmp_path):
    async def scenario(rig):
        declined = rig.sale("12.51", "mastercard")  # amounts ending 51 are declined: insufficient funds
        await rig.until(lambda: rig.flow(declined) is not None and rig.flow(declined).name == "declined", jump=True)
        with pytest.raises(ValueError, match="still open at the counter"):
            rig.counter.report_unpaid(declined)
        rig.counter.act(rig.flow(declined).flow_id, "cancel")
        with pytest.raises(ValueError, match="give the number of the receipt"):
            rig.counter.report_unpaid(declined)
        flow_id = rig.counter.report_unpaid(declined, receipt_id="till-0042")
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unpaid", jump=True)
        rig.counter.act(flow_id, "other_payment", method="cash")
        assert case(rig, flow_id).resolution == "paid_otherwise"
        [paid] = rig.events("payment_recorded", declined)
        assert paid.payload["method"] == "cash" and paid.payload["amount"]["minor"] == 1251
        await rig.until(lambda: any("till-0042" in text for text in paper(rig)), jump=True)
        rig.audit()

    run(tmp_path, scenario, printer=True)


def test_a_sale_that_never_reached_the_acquirer_needs_no_inquiry(tmp_path):
    async def scenario(rig):
        await rig.acquirer.refuse_connections()
        await rig.acquirer.close()
        await rig.until(lambda: not rig.host.up, jump=True)
        sale = rig.sale("20.00")
        await rig.until(lambda: rig.flow(sale) is not None and rig.flow(sale).name == "network_drop", jump=True)
        rig.counter.act(rig.flow(sale).flow_id, "cancel")  # the customer walked off with the till's receipt
        flow_id = rig.counter.report_unpaid(sale, receipt_id="till-7")
        assert rig.prompt_of(flow_id) == "receipt_unpaid.unpaid"
        assert not [e for e in rig.events("host_request", sale)]
        assert [e.payload["on_record"] for e in reports(rig, sale)] == ["not_sent"]

    run(tmp_path, scenario)


def test_without_the_acquirer_nothing_is_decided_until_it_answers(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        rig.acquirer.black_hole()
        flow_id = rig.counter.report_unpaid(sale)
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unverified", jump=True)
        assert not rig.events("case_opened", sale)  # nothing decided: no case, no slip, no request to pay
        await rig.until(lambda: rig.host.up, jump=True)
        rig.counter.act(flow_id, "check_again")
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.paid_after_all", jump=True)
        rig.audit()

    run(tmp_path, scenario)


def test_a_restart_while_asking_leaves_it_unverified_to_ask_again(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        rig.acquirer.black_hole()
        flow_id = rig.counter.report_unpaid(sale)
        await rig.until(lambda: unpaid_flow(rig, flow_id).state.name == "AWAITING_ANSWER")
        await rig.crash_and_restart("asking.sqlite")
        assert rig.counter.flows[flow_id].state.name == "UNVERIFIED"
        await rig.until(lambda: rig.host.up, jump=True)
        rig.counter.act(flow_id, "check_again")
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.paid_after_all", jump=True)

    run(tmp_path, scenario)


def test_a_case_is_paid_later_in_cash_and_the_customer_thanked(tmp_path):
    async def scenario(rig):
        rig.acquirer.contradict()
        sale = await approved(rig, "9.90")
        await rig.until(lambda: rig.events("case_opened", sale), jump=True)
        flow_id = rig.events("case_opened", sale)[0].payload["case_id"]
        rig.counter.act(flow_id, "customer_leaves")
        contact = ContactStore(rig.journal, b"k" * 32).record(consent=True, email="li@example.com",
                                                             channel="email", case_id=flow_id)
        rig.counter.act(flow_id, "contact_saved", contact_id=contact)
        assert rig.counter.pay_case(flow_id, "cash") is None
        closed = case(rig, flow_id)
        assert closed.state == "closed" and closed.resolution == "paid_later"
        assert [e.payload["method"] for e in rig.events("payment_recorded", sale)] == ["cash"]
        assert [d["template"] for d in rig.counter.outbox.drafts() if d["case_id"] == flow_id] == [
            "receipt_unpaid.payment_requested", "receipt_unpaid.paid_later"]
        with pytest.raises(ValueError, match="already closed"):
            rig.counter.pay_case(flow_id, "cash")
        with pytest.raises(ValueError, match="no case"):
            rig.counter.pay_case("nope")
        rig.audit()

    run(tmp_path, scenario)


def test_a_report_that_cannot_be_journaled_leaves_the_counter_as_it_was(tmp_path):
    async def scenario(rig):
        declined = rig.sale("12.51", "mastercard")
        await rig.until(lambda: rig.flow(declined) is not None and rig.flow(declined).name == "declined", jump=True)
        rig.counter.act(rig.flow(declined).flow_id, "cancel")
        with pytest.raises(ValueError, match="looks like a card number"):
            rig.counter.report_unpaid(declined, receipt_id="4111111111111111")
        assert rig.counter.flows == {}
        flow_id = rig.counter.report_unpaid(declined, receipt_id="till-9")  # the counter carries on
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unpaid", jump=True)
        rig.counter.act(flow_id, "other_payment", method="cash")
        with pytest.raises(ValueError, match=r"\(paid_otherwise\) already followed"):
            rig.counter.report_unpaid(declined, receipt_id="till-9")  # paid: never a second NOT PAID slip

    run(tmp_path, scenario)


def test_a_voided_sale_is_neither_taken_back_again_nor_reported_unpaid(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        flow_id = rig.counter.report_wrong_card(sale)
        rig.counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        rig.counter.act(flow_id, "customer_leaves")
        rig.counter.act(flow_id, "contact_declined")
        with pytest.raises(ValueError, match="already taken back: the acquirer approved its void"):
            rig.counter.report_wrong_card(sale)
        with pytest.raises(ValueError, match="taken back by a void"):
            rig.counter.report_unpaid(sale)

    run(tmp_path, scenario)


def test_the_link_lost_under_the_inquiry_reaches_the_unpaid_flow_not_the_sale(tmp_path):
    async def scenario(rig):
        sale = await approved(rig)
        rig.acquirer.drop_after_request()  # the inquiry arrives, the connection closes, no answer
        flow_id = rig.counter.report_unpaid(sale)
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unverified", jump=True)
        assert rig.events("host_request_unanswered", sale)
        assert not rig.events("reversal_queued", sale)  # an inquiry moved no money: nothing to reverse
        await rig.until(lambda: rig.host.up, jump=True)
        rig.counter.act(flow_id, "check_again")
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.paid_after_all", jump=True)
        rig.audit()

    run(tmp_path, scenario)
