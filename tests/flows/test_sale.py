"""The sale flow, told as the cashier lives it."""

from __future__ import annotations

import pytest

from domain.card import MaskedPan
from domain.effects import (
    CancelTimer,
    HandOver,
    HandOverReason,
    Print,
    SaleFacts,
    SendAuthorization,
    ShowPrompt,
    StartTimer,
)
from domain.events import (
    AmountEntered,
    CardRead,
    EntryMode,
    HostResponse,
    LinkDown,
    ReadCheck,
    ReadError,
    RequestSent,
    TimerFired,
)
from domain.ids import Rrn
from flows import SaleFlow
from tests.flows.samples import AMOUNT, CARD, CARD_HASH, OTHER_STAN, SALE_ID, SENT, STAN, T0, action

MASKED = "411111******1111"


def sale(**config) -> SaleFlow:
    flow = SaleFlow("F1", **config)
    assert flow.handle(AmountEntered(SALE_ID, AMOUNT)) == [ShowPrompt("sale.present_card", {"amount": AMOUNT})]
    return flow


def sent(**config) -> SaleFlow:
    flow = sale(**config)
    flow.handle(CardRead(CARD, EntryMode.CHIP, CARD_HASH))
    flow.handle(RequestSent(SALE_ID, STAN, T0))
    return flow


def test_a_clean_sale_authorizes_once_and_prints_the_approved_receipt():
    flow = sale(auth_timeout=45.0)
    assert flow.handle(CardRead(CARD, EntryMode.CHIP, CARD_HASH)) == [
        SendAuthorization(SALE_ID, AMOUNT),
        ShowPrompt("sale.authorizing", {"amount": AMOUNT, "masked": MASKED}),
    ]
    assert flow.handle(RequestSent(SALE_ID, STAN, T0)) == [StartTimer("F1.auth_response", 45.0)]
    effects = flow.handle(HostResponse(STAN, "00", Rrn("600105000007"), "A1B2C3"))
    assert effects == [
        CancelTimer("F1.auth_response"),
        Print(f"{SALE_ID}-000007", {
            "type": "sale", "status": "approved", "sale_id": SALE_ID, "amount": {"minor": 5800, "currency": "CNY"},
            "masked": MASKED, "auth_code": "A1B2C3", "rrn": "600105000007", "stan": "000007",
            "time": "2026-01-05T02:00:00+00:00",
        }),
        ShowPrompt("sale.approved", {"amount": AMOUNT, "masked": MASKED, "time": T0, "stan": "000007",
                                     "code": "00", "auth_code": "A1B2C3"}),
    ]
    assert flow.state.name == "APPROVED"


def test_the_flow_keeps_the_masked_card_expiry_and_hash_never_the_card():
    flow = sale()
    flow.handle(CardRead(CARD, EntryMode.SWIPE, CARD_HASH))
    assert flow.ctx.sale == SaleFacts(SALE_ID, AMOUNT, MaskedPan.of(CARD.pan), CARD.expiry, CARD_HASH)
    assert CARD.pan not in repr(flow.to_json())


def test_a_read_without_a_hash_is_still_authorized():
    flow = sale()
    assert SendAuthorization(SALE_ID, AMOUNT) in flow.handle(CardRead(CARD, EntryMode.TAP))
    assert flow.ctx.sale.card_hash is None


@pytest.mark.parametrize("check", list(ReadCheck))
def test_a_failed_read_names_the_check_and_waits_for_the_card_again(check):
    flow = sale()
    assert flow.handle(ReadError(check, "detail")) == [ShowPrompt(f"sale.read_error.{check.value}",
                                                                  {"amount": AMOUNT})]
    assert flow.state.name == "WAITING_CARD"
    assert SendAuthorization(SALE_ID, AMOUNT) in flow.handle(CardRead(CARD, EntryMode.SWIPE))
    assert flow.ctx.read_error is None


def test_the_cashier_can_cancel_while_waiting_for_the_card_and_only_then():
    flow = sale()
    assert flow.handle(action("cancel")) == [ShowPrompt("sale.cancelled", {"amount": AMOUNT})]
    assert flow.state.name == "CANCELLED"
    busy = sale()
    busy.handle(CardRead(CARD, EntryMode.SWIPE))
    assert busy.handle(action("cancel")) == []
    assert busy.state.name == "AUTHORIZING"


@pytest.mark.parametrize("read", [False, True], ids=["before the card", "card read, request not sent"])
def test_link_lost_before_the_request_left_hands_over_with_nothing_charged(read):
    flow = sale()
    if read:
        flow.handle(CardRead(CARD, EntryMode.SWIPE, CARD_HASH))
    [handover] = flow.handle(LinkDown("echo timeout"))
    assert handover.flow == "network_drop" and handover.reason is HandOverReason.NOTHING_CHARGED
    assert handover.sale.stan is None
    assert flow.state.name == "HANDED_OVER"


def test_link_lost_after_the_request_left_hands_over_with_the_outcome_unknown():
    flow = sent()
    assert flow.handle(LinkDown("reset")) == [
        CancelTimer("F1.auth_response"), HandOver("network_drop", HandOverReason.OUTCOME_UNKNOWN, SENT)]


def test_no_answer_in_time_hands_over_with_the_outcome_unknown():
    flow = sent()
    assert flow.handle(TimerFired("F1.auth_response")) == [
        HandOver("network_drop", HandOverReason.OUTCOME_UNKNOWN, SENT)]


def test_a_refusal_hands_over_to_declined_with_its_code():
    flow = sent()
    assert flow.handle(HostResponse(STAN, "51")) == [
        CancelTimer("F1.auth_response"),
        HandOver("declined", HandOverReason.DECLINED, SaleFacts(**{**vars(SENT), "response_code": "51"})),
    ]


def test_answers_timers_and_requests_of_other_sales_are_not_this_sales():
    flow = sent()
    assert flow.handle(HostResponse(OTHER_STAN, "00")) == []
    assert flow.handle(TimerFired("F9.auth_response")) == []
    assert flow.handle(RequestSent("S2", OTHER_STAN, T0)) == []
    assert flow.state.name == "AWAITING_RESPONSE"


def test_a_late_answer_after_the_hand_over_changes_nothing():
    flow = sent()
    flow.handle(TimerFired("F1.auth_response"))
    assert flow.handle(HostResponse(STAN, "00", Rrn("600105000007"), "A1B2C3")) == []
    assert flow.state.name == "HANDED_OVER"


def test_a_second_card_while_authorizing_is_not_charged():
    flow = sent()
    assert flow.handle(CardRead(CARD, EntryMode.SWIPE)) == []


def test_another_card_after_a_refusal_starts_again_at_the_card_with_only_the_sale_kept():
    flow = SaleFlow("F2")
    handover = HandOver("sale", HandOverReason.ANOTHER_CARD, SaleFacts(**{**vars(SENT), "response_code": "51"}))
    assert flow.handle(handover) == [ShowPrompt("sale.present_card", {"amount": AMOUNT})]
    assert flow.ctx.sale == SaleFacts(SALE_ID, AMOUNT)


def test_a_hand_over_meant_for_another_flow_does_not_open_a_sale():
    assert SaleFlow("F2").handle(HandOver("declined", HandOverReason.DECLINED, SENT)) == []
