"""The printer_fault flow: the fix for each fault, one retry, an e-receipt when the customer goes."""

from __future__ import annotations

import pytest

from domain.effects import CaptureContact, ClosePrintJob, Notify, OpenCase, RetryPrint, ShowPrompt
from domain.events import PrinterCondition, PrinterStatus, ReceiptPrinted
from flows import PrinterFaultFlow
from flows.printer_fault import fault_of
from flows.prompts import catalogue, render
from tests.flows.samples import AMOUNT, RECEIPT, RECEIPT_ID, SALE_ID, SENT, action

C = PrinterCondition


def fault(*conditions: PrinterCondition, sent: bool = False, receipt_id: str = RECEIPT_ID,
          document: dict | None = RECEIPT) -> PrinterStatus:
    return PrinterStatus(frozenset(conditions), receipt_id, sent, document)


def opened(*conditions: PrinterCondition, sent: bool = False) -> tuple[PrinterFaultFlow, list]:
    flow = PrinterFaultFlow("P1")
    return flow, flow.handle(fault(*conditions, sent=sent))


def prompts(effects: list) -> list[str]:
    return [effect.prompt_id for effect in effects if isinstance(effect, ShowPrompt)]


@pytest.mark.parametrize(("conditions", "prompt_id"), [
    ({C.PAPER_END, C.OFFLINE}, "printer.paper_end"),  # paper out also reads as offline: the paper is the fix
    ({C.COVER_OPEN, C.OFFLINE}, "printer.cover_open"),
    ({C.COVER_OPEN, C.PAPER_END}, "printer.cover_open"),
    ({C.OFFLINE}, "printer.offline"),
    ({C.ERROR, C.PAPER_NEAR_END}, "printer.error"),
    ({C.NO_REPLY}, "printer.no_reply"),
])
def test_each_fault_prompts_its_fix_with_the_sale_facts(conditions, prompt_id):
    flow, effects = opened(*conditions)
    assert prompts(effects) == [prompt_id]
    assert flow.ctx.sale.sale_id == SALE_ID and flow.ctx.sale.amount == AMOUNT
    assert flow.ctx.sale.masked == SENT.masked and flow.ctx.sale.sent_at == SENT.sent_at
    screen = render(effects[-1], "en")
    assert "58.00" in screen.title and str(SENT.masked) in " ".join(screen.steps)
    assert "do not ask the customer to pay again" in " ".join(screen.steps)
    assert "请勿让顾客重复刷卡" in "".join(render(effects[-1], "zh-CN").steps)


def test_a_printable_status_is_no_fault():
    assert fault_of(frozenset({C.OK})) is None
    assert fault_of(frozenset({C.PAPER_NEAR_END})) is None
    assert not PrinterFaultFlow("P1").expects(fault(C.PAPER_NEAR_END))


def test_fixed_retries_the_held_receipt_then_done_when_it_prints():
    flow, _ = opened(C.PAPER_END, sent=True)
    effects = flow.handle(action("printer_fixed"))
    assert effects[0] == RetryPrint(RECEIPT_ID)
    assert prompts(effects) == ["printer.reprinting"]
    effects = flow.handle(ReceiptPrinted(RECEIPT_ID, duplicate=True))
    assert prompts(effects) == ["printer.printed"]
    assert flow.state.name == "PRINTED"


def test_a_fix_that_did_not_take_brings_back_the_fault_it_still_has():
    flow, _ = opened(C.COVER_OPEN)
    flow.handle(action("printer_fixed"))
    effects = flow.handle(fault(C.PAPER_END))
    assert prompts(effects) == ["printer.paper_end"]
    assert flow.state.name == "FIXING"
    assert flow.handle(action("printer_fixed"))[0] == RetryPrint(RECEIPT_ID)


def test_another_receipts_fault_and_printing_are_not_this_flows():
    flow, _ = opened(C.OFFLINE)
    assert not flow.expects(fault(C.PAPER_END, receipt_id="S9-000009"))
    assert not flow.expects(ReceiptPrinted("S9-000009"))
    assert not flow.expects(fault(C.PAPER_END, document=None))


def test_no_reply_after_the_receipt_went_out_asks_the_cashier_to_look():
    flow, effects = opened(C.NO_REPLY, sent=True)
    assert prompts(effects) == ["printer.unverified"]
    assert "receipt_ok" in catalogue().prompts["printer.unverified"].actions
    effects = flow.handle(action("receipt_ok"))
    assert effects[0] == ClosePrintJob(RECEIPT_ID, "confirmed_by_cashier")
    assert flow.state.name == "PRINTED"


def test_no_reply_before_anything_went_out_cannot_be_confirmed_as_printed():
    flow, effects = opened(C.NO_REPLY)
    assert prompts(effects) == ["printer.no_reply"]
    assert "receipt_ok" not in catalogue().prompts["printer.no_reply"].actions
    assert flow.handle(action("receipt_ok")) == []


def test_a_customer_who_cannot_wait_gets_an_e_receipt():
    flow, _ = opened(C.PAPER_END)
    effects = flow.handle(action("customer_leaves"))
    assert effects[:2] == [ClosePrintJob(RECEIPT_ID, "customer_left"), CaptureContact("P1", "e_receipt")]
    effects = flow.handle(action("contact_saved"))
    assert effects[0] == OpenCase("P1", "printer_fault", (SALE_ID,), AMOUNT, SENT.masked, "C1")
    assert effects[1] == Notify("P1", "e_receipt.sale")
    assert flow.state.name == "E_RECEIPT"


def test_a_customer_who_leaves_no_details_leaves_without_a_receipt_on_record():
    flow, _ = opened(C.OFFLINE)
    flow.handle(action("customer_leaves"))
    effects = flow.handle(action("contact_declined"))
    assert prompts(effects) == ["printer.no_receipt"]
    assert flow.state.name == "NO_RECEIPT"


def test_a_slip_sends_the_e_receipt_template_of_its_kind():
    flow = PrinterFaultFlow("P1")
    flow.handle(fault(C.PAPER_END, document={**RECEIPT, "type": "not_paid"}))
    flow.handle(action("customer_leaves"))
    assert flow.handle(action("contact_saved"))[1] == Notify("P1", "e_receipt.not_paid")
