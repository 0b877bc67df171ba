"""The network_drop flow: link down at the counter, nothing charged, and the result unknown."""

from __future__ import annotations

import pytest

from domain.effects import (
    CaptureContact,
    EscalateToManager,
    HandOver,
    HandOverReason,
    Notify,
    OpenCase,
    PauseCardPayments,
    Print,
    QueueReversal,
    RecordPayment,
    ResolveCase,
    ResumeCardPayments,
    SaleFacts,
    ShowPrompt,
)
from domain.events import (
    CardRead,
    EntryMode,
    HostResponse,
    LinkDown,
    LinkUp,
    RequestSent,
    ReversalAcknowledged,
    ReversalFailed,
)
from domain.ids import Rrn
from flows import NetworkDropFlow
from tests.flows.samples import (
    AMOUNT,
    CARD,
    NOTHING_CHARGED,
    NOTHING_SENT,
    OUTCOME_UNKNOWN,
    SALE_ID,
    SENT,
    STAN,
    T0,
    action,
)

UNKNOWN_FACTS = {"amount": AMOUNT, "masked": "411111******1111", "time": T0, "stan": "000007"}


def prompts(effects):
    return [effect.prompt_id for effect in effects if isinstance(effect, ShowPrompt)]


def unknown(**config) -> NetworkDropFlow:
    flow = NetworkDropFlow("N1", **config)
    assert flow.handle(OUTCOME_UNKNOWN) == [QueueReversal(SALE_ID, STAN, AMOUNT),
                                            ShowPrompt("network.outcome_unknown", UNKNOWN_FACTS)]
    return flow


def customer_gone(**config) -> NetworkDropFlow:
    flow = unknown(**config)
    flow.handle(action("customer_leaves"))
    flow.handle(action("contact_saved"))
    return flow


def test_link_lost_while_idle_pauses_card_payments_until_it_is_back():
    flow = NetworkDropFlow("N0")
    assert flow.handle(LinkDown("echo timeout")) == [
        PauseCardPayments("echo timeout"), ShowPrompt("network.card_paused", {"reason": "echo timeout"})]
    assert flow.handle(LinkDown("again")) == []
    assert flow.handle(LinkUp(9.0)) == [ResumeCardPayments(), ShowPrompt("network.card_resumed")]
    assert flow.state.name == "CARD_RESUMED"


def test_nothing_charged_says_so_and_offers_the_card_again_only_once_the_link_is_back():
    flow = NetworkDropFlow("N1")
    assert flow.handle(NOTHING_CHARGED) == [ShowPrompt("network.nothing_charged", {"amount": AMOUNT})]
    assert flow.handle(action("retry_card")) == []
    assert prompts(flow.handle(LinkUp())) == ["network.retry_offered"]
    assert prompts(flow.handle(LinkDown("flap"))) == ["network.nothing_charged"]
    flow.handle(LinkUp())
    assert flow.handle(action("retry_card")) == [HandOver("sale", HandOverReason.RETRY, SaleFacts(SALE_ID, AMOUNT))]


def test_nothing_charged_and_paid_another_way():
    flow = NetworkDropFlow("N1")
    flow.handle(NOTHING_CHARGED)
    assert flow.handle(action("other_payment")) == [RecordPayment(SALE_ID, "cash", AMOUNT),
                                                    ShowPrompt("payment.recorded", {"amount": AMOUNT})]


def test_word_that_the_request_did_leave_turns_nothing_charged_into_unknown():
    flow = NetworkDropFlow("N1")
    flow.handle(NOTHING_SENT)
    effects = flow.handle(RequestSent(SALE_ID, STAN, T0))
    assert effects[0] == QueueReversal(SALE_ID, STAN, AMOUNT)
    assert prompts(effects) == ["network.outcome_unknown"]
    assert flow.handle(action("cancel")) == []  # nothing is cancelled while it may have charged


def test_word_of_a_request_for_a_sale_that_never_read_a_card_is_about_another_attempt():
    flow = NetworkDropFlow("N1")
    flow.handle(NOTHING_CHARGED)
    assert flow.handle(RequestSent(SALE_ID, STAN, T0)) == []
    assert flow.state.name == "NOTHING_CHARGED"


def test_unknown_outcome_paid_another_way_then_reversal_acknowledged_tells_the_customer():
    flow = unknown()
    assert flow.handle(action("other_payment")) == [
        RecordPayment(SALE_ID, "cash", AMOUNT), CaptureContact("N1", "hold_release"),
        ShowPrompt("network.contact", UNKNOWN_FACTS)]
    assert flow.handle(action("contact_saved")) == [
        OpenCase("N1", "network_drop", (SALE_ID,), AMOUNT, SENT.masked, "C1"),
        Print("N1-contact", {"type": "contact", "case_id": "N1", "sale_id": SALE_ID, "amount": AMOUNT.to_json(),
                             "masked": str(SENT.masked), "time": T0.isoformat()}),
        ShowPrompt("network.case_opened", UNKNOWN_FACTS)]
    assert flow.handle(ReversalAcknowledged(SALE_ID, STAN)) == [
        Notify("N1", "network_drop.hold_released"), ResolveCase("N1", "hold_released"),
        ShowPrompt("network.resolved", UNKNOWN_FACTS)]
    assert flow.state.name == "RESOLVED"


def test_a_customer_who_declines_to_leave_details_still_gets_a_case():
    flow = unknown()
    flow.handle(action("customer_leaves"))
    [case, slip, _] = flow.handle(action("contact_declined"))
    assert case == OpenCase("N1", "network_drop", (SALE_ID,), AMOUNT, SENT.masked, None)
    assert slip.document["type"] == "contact" and slip.document["case_id"] == "N1"  # the store's details to keep


def test_never_a_second_charge_while_the_result_is_unknown():
    flow = unknown()
    for card_event in (CardRead(CARD, EntryMode.SWIPE), CardRead(CARD, EntryMode.CHIP)):
        assert flow.handle(card_event) == [ShowPrompt("network.outcome_unknown", UNKNOWN_FACTS)]
    for refused in ("retry_card", "another_card", "cancel"):
        assert flow.handle(action(refused)) == []
    flow.handle(action("customer_leaves"))
    assert flow.handle(CardRead(CARD, EntryMode.SWIPE)) == [ShowPrompt("network.contact", UNKNOWN_FACTS)]


def test_a_late_approval_does_not_undo_the_reversal():
    flow = unknown()
    assert flow.handle(HostResponse(STAN, "00", Rrn("600105000007"), "A1B2C3")) == []
    assert flow.state.name == "OUTCOME_UNKNOWN"


def test_reversal_acknowledged_with_the_customer_still_here_lets_them_pay_again():
    flow = unknown()
    assert flow.handle(ReversalAcknowledged(SALE_ID, STAN)) == [ShowPrompt("network.released", UNKNOWN_FACTS)]
    assert flow.handle(action("retry_card")) == [HandOver("sale", HandOverReason.RETRY, SENT)]


def test_reversal_acknowledged_during_the_contact_step_resolves_when_it_ends():
    flow = unknown()
    flow.handle(action("customer_leaves"))
    assert flow.handle(ReversalAcknowledged(SALE_ID, STAN)) == []
    effects = flow.handle(action("contact_saved"))
    assert [type(effect) for effect in effects] == [OpenCase, Print, Notify, ResolveCase, ShowPrompt]
    assert flow.state.name == "RESOLVED"


def test_the_reversal_escalates_after_five_failures_by_default_with_the_facts():
    flow = customer_gone()
    for _ in range(4):
        assert flow.handle(ReversalFailed(SALE_ID, STAN, "no answer")) == []
    effects = flow.handle(ReversalFailed(SALE_ID, STAN, "no answer"))
    assert effects == [EscalateToManager("N1", "reversal_failing", SENT, 5),
                       ShowPrompt("network.escalated", {**UNKNOWN_FACTS, "failures": 5})]
    assert flow.handle(ReversalFailed(SALE_ID, STAN, "no answer")) == []  # escalated once
    assert prompts(flow.handle(ReversalAcknowledged(SALE_ID, STAN))) == ["network.resolved"]


@pytest.mark.parametrize("limit", [1, 2, 7])
def test_the_number_of_failures_before_escalating_is_configurable(limit):
    flow = customer_gone(max_reversal_failures=limit)
    escalations = [effect for _ in range(limit + 2)
                   for effect in flow.handle(ReversalFailed(SALE_ID, STAN, "reset"))
                   if isinstance(effect, EscalateToManager)]
    assert escalations == [EscalateToManager("N1", "reversal_failing", SENT, limit)]


def test_escalation_while_the_customer_is_still_at_the_counter():
    flow = unknown(max_reversal_failures=2)
    flow.handle(ReversalFailed(SALE_ID, STAN, "reset"))
    [escalation] = flow.handle(ReversalFailed(SALE_ID, STAN, "reset"))
    assert isinstance(escalation, EscalateToManager)
    flow.handle(action("customer_leaves"))
    assert prompts(flow.handle(action("contact_declined"))) == ["network.escalated"]


@pytest.mark.parametrize("limit", [0, -1, True, "5"])
def test_an_impossible_limit_is_refused(limit):
    with pytest.raises(ValueError, match="max_reversal_failures"):
        NetworkDropFlow("N1", max_reversal_failures=limit)


def test_reversal_news_about_another_transaction_is_not_this_cases():
    flow = customer_gone()
    assert flow.handle(ReversalAcknowledged("S2", STAN)) == []
    assert flow.state.name == "AWAITING_REVERSAL"
