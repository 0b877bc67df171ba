"""The receipt_unpaid flow: the acquirer is asked first; paid after all closes, unpaid is cancelled on paper."""

from __future__ import annotations

import pytest

from domain.effects import (
    CaptureContact,
    HandOver,
    HandOverReason,
    InquireCharge,
    Notify,
    OpenCase,
    Print,
    RecordPayment,
    ResolveCase,
    SaleFacts,
    ShowPrompt,
    StartTimer,
)
from domain.events import CardRead, EntryMode, HostResponse, LinkDown, ReceiptUnpaidReported, RequestSent, TimerFired
from domain.ids import Rrn, Stan
from flows import DeclinedFlow, ReceiptUnpaidFlow, SaleFlow
from flows.prompts import catalogue, render
from tests.flows.samples import AMOUNT, CARD, CARD_HASH, RECEIPT_ID, SALE_ID, SENT, STAN, T0, action

INQUIRY = Stan(31)
APPROVED_SALE = SaleFacts(**{**vars(SENT), "response_code": "00"})


def reported(on_record: str = "approved", sale: SaleFacts = APPROVED_SALE,
             receipt_id: str = RECEIPT_ID) -> tuple[ReceiptUnpaidFlow, list]:
    flow = ReceiptUnpaidFlow("U1")
    return flow, flow.handle(ReceiptUnpaidReported(sale, receipt_id, on_record, "cashier"))


def asked(on_record: str = "approved") -> ReceiptUnpaidFlow:
    flow, _ = reported(on_record)
    flow.handle(RequestSent(SALE_ID, INQUIRY, T0))
    return flow


def of(kind: type, effects: list) -> list:
    return [effect for effect in effects if isinstance(effect, kind)]


def test_the_acquirer_is_asked_before_the_customer():
    flow, effects = reported()
    assert of(InquireCharge, effects) == [InquireCharge(SALE_ID, STAN)]
    assert [p.prompt_id for p in of(ShowPrompt, effects)] == ["receipt_unpaid.verifying"]
    assert not of(Print, effects) and not of(OpenCase, effects)  # nothing decided, nothing printed
    effects = flow.handle(RequestSent(SALE_ID, INQUIRY, T0))
    assert of(StartTimer, effects) == [StartTimer("U1.inquiry_response", 30.0)]
    assert flow.state.name == "AWAITING_ANSWER"


def test_no_charge_prints_the_not_paid_slip_under_a_case_and_asks_politely():
    flow = asked()
    effects = flow.handle(HostResponse(INQUIRY, "25"))
    assert flow.state.name == "UNPAID"
    [case] = of(OpenCase, effects)
    assert case == OpenCase("U1", "receipt_unpaid", (SALE_ID,), AMOUNT, SENT.masked, None)
    [slip] = of(Print, effects)
    assert slip.receipt_id == "U1-not-paid"
    assert slip.document | {"time": None} == {
        "type": "not_paid", "case_id": "U1", "receipt_id": RECEIPT_ID, "sale_id": SALE_ID,
        "amount": AMOUNT.to_json(), "masked": str(SENT.masked), "stan": str(STAN), "time": None}
    [prompt] = of(ShowPrompt, effects)
    screen = render(prompt, "en")
    assert RECEIPT_ID in screen.title and "58.00" in screen.title
    steps = " ".join(screen.steps)
    assert "apologise" in steps and "cash" in steps and "U1" in steps
    assert set(catalogue().prompts[prompt.prompt_id].actions) == {"other_payment", "another_card", "customer_leaves"}


def test_a_charge_that_stands_closes_as_paid_after_all_with_a_note():
    flow = asked()
    effects = flow.handle(HostResponse(INQUIRY, "00", Rrn("000000000007"), "123456"))
    assert flow.state.name == "PAID_AFTER_ALL"
    [resolve] = of(ResolveCase, effects)
    assert resolve.resolution == "paid_after_all" and "000000000007" in resolve.note and "58.00" in resolve.note
    assert of(OpenCase, effects) and not of(Print, effects) and not of(Notify, effects)


def test_a_charge_being_reversed_is_not_paid_even_though_it_stands_for_now():
    flow = asked("reversed")
    flow.handle(HostResponse(INQUIRY, "00", Rrn("000000000007"), "123456"))
    assert flow.state.name == "UNPAID"


def test_nothing_sent_needs_no_inquiry():
    flow, effects = reported("not_sent", SaleFacts(SALE_ID, AMOUNT), "till-0042")
    assert flow.state.name == "UNPAID" and not of(InquireCharge, effects)
    [slip] = of(Print, effects)
    assert slip.document["receipt_id"] == "till-0042" and slip.document["stan"] is None


@pytest.mark.parametrize("event", [HostResponse(INQUIRY, "96"), LinkDown("link lost"),
                                   TimerFired("U1.inquiry_response")], ids=["unclear", "link-down", "timeout"])
def test_no_answer_decides_nothing_and_can_be_asked_again(event):
    flow = asked()
    effects = flow.handle(event)
    assert flow.state.name == "UNVERIFIED"
    assert not of(Print, effects) and not of(OpenCase, effects)
    prompt = of(ShowPrompt, effects)[-1]
    assert "do not ask the customer to pay again" in " ".join(render(prompt, "en").steps).lower()
    effects = flow.handle(action("check_again"))
    assert of(InquireCharge, effects) == [InquireCharge(SALE_ID, STAN)] and flow.state.name == "VERIFYING"
    assert flow.handle(HostResponse(INQUIRY, "25")) == []  # the old inquiry's STAN: not the new one's answer


def test_the_unverified_customer_who_leaves_gets_a_contact_slip_and_no_message():
    flow = asked()
    flow.handle(LinkDown("gone"))
    assert of(CaptureContact, flow.handle(action("customer_leaves"))) == [CaptureContact("U1", "verification")]
    effects = flow.handle(action("contact_saved"))
    assert flow.state.name == "CASE_OPENED"
    assert [p.receipt_id for p in of(Print, effects)] == ["U1-contact"]
    assert not of(Notify, effects)


def test_unpaid_customer_who_leaves_is_asked_to_pay_by_message():
    flow = asked()
    flow.handle(HostResponse(INQUIRY, "25"))
    assert of(CaptureContact, flow.handle(action("customer_leaves"))) == [CaptureContact("U1", "payment_request")]
    effects = flow.handle(action("contact_saved"))
    assert of(OpenCase, effects)[0].contact_id == "C1"
    assert not of(Print, effects)  # the NOT PAID slip already has the case and the phone
    assert of(Notify, effects) == [Notify("U1", "receipt_unpaid.payment_requested")]


def test_paid_another_way_at_the_counter_settles_the_case():
    flow = asked()
    flow.handle(HostResponse(INQUIRY, "25"))
    effects = flow.handle(action("other_payment"))
    assert of(RecordPayment, effects) == [RecordPayment(SALE_ID, "cash", AMOUNT)]
    assert of(ResolveCase, effects)[0].resolution == "paid_otherwise"


def test_paying_by_card_is_a_new_sale_that_settles_the_case_when_approved():
    flow = asked()
    flow.handle(HostResponse(INQUIRY, "25"))
    [handover] = flow.handle(action("another_card"))
    assert handover == HandOver("sale", HandOverReason.PAY_UNPAID, SaleFacts(f"{SALE_ID}-pay", AMOUNT, settles="U1"))
    sale = SaleFlow(f"{SALE_ID}-pay")
    sale.handle(handover)
    sale.handle(CardRead(CARD, EntryMode.CHIP, CARD_HASH))
    sale.handle(RequestSent(f"{SALE_ID}-pay", Stan(40), T0))
    effects = sale.handle(HostResponse(Stan(40), "00", Rrn("000000000040"), "654321"))
    [resolve] = of(ResolveCase, effects)
    assert resolve.case_id == "U1" and resolve.resolution == "paid_by_card" and "000040" in resolve.note
    assert of(Notify, effects) == [Notify("U1", "receipt_unpaid.paid_later")]


def test_a_declined_payment_keeps_the_case_it_pays_for_on_the_next_card():
    sale = SaleFlow("S9")
    sale.handle(HandOver("sale", HandOverReason.PAY_UNPAID, SaleFacts("S9", AMOUNT, settles="U1")))
    again = SaleFlow("S10")
    again.handle(HandOver("sale", HandOverReason.ANOTHER_CARD, sale.ctx.sale))
    assert again.ctx.sale.settles == "U1"
    assert SaleFlow.from_json(again.to_json()).ctx.sale.settles == "U1"


def test_a_declined_payment_for_a_case_paid_another_way_settles_the_case():
    flow = DeclinedFlow("D1")
    flow.handle(HandOver("declined", HandOverReason.DECLINED,
                         SaleFacts(**{**vars(SENT), "response_code": "51", "settles": "U1"})))
    effects = flow.handle(action("other_payment"))
    assert of(RecordPayment, effects) == [RecordPayment(SALE_ID, "cash", AMOUNT)]
    [resolve] = of(ResolveCase, effects)
    assert resolve.case_id == "U1" and resolve.resolution == "paid_otherwise" and "cash" in resolve.note
