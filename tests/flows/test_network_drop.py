"""The network_drop flow: link down at the counter, nothing charged, and the result unknown."""

from __future__ import annotations

import pytest

from domain.effects import (
    CancelTimer,
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
    StartTimer,
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
    ReversalRefused,
    TimerFired,
)
from domain.ids import Rrn
from flows import NetworkDropFlow
from flows.network_drop import CHARGE_STANDS_REASON
from flows.prompts import render
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


def test_link_lost_while_idle_pauses_card_payments_until_it_is_back_and_has_held():
    flow = NetworkDropFlow("N0")
    assert flow.handle(LinkDown("connection refused", "unreachable")) == [
        PauseCardPayments("connection refused"), ShowPrompt("network.card_paused", {"cause": "unreachable"})]
    assert flow.handle(LinkDown("again", "unreachable")) == []  # the same outage: no second pause
    assert flow.handle(LinkUp(9.0)) == [StartTimer("N0:link_steady", 10.0)]  # still paused, on the same screen
    assert flow.state.name == "LINK_BACK"
    assert flow.prompt() == ShowPrompt("network.card_paused", {"cause": "unreachable"})
    assert flow.handle(TimerFired("N0:link_steady")) == [ResumeCardPayments(), ShowPrompt("network.card_resumed")]
    assert flow.state.name == "CARD_RESUMED"


def test_a_flapping_link_is_one_pause_however_often_it_comes_back_and_drops():
    flow = NetworkDropFlow("N0", steady_for=5.0)
    flow.handle(LinkDown("the host closed the connection", "lost"))
    for _ in range(50):
        assert flow.handle(LinkUp(3.0)) == [StartTimer("N0:link_steady", 5.0)]
        assert flow.handle(LinkDown("the host closed the connection", "lost")) == [CancelTimer("N0:link_steady")]
    assert flow.state.name == "CARD_PAUSED"
    assert flow.prompt() == ShowPrompt("network.card_paused", {"cause": "lost"})
    flow.handle(LinkUp(3.0))
    assert flow.handle(TimerFired("N0:link_steady")) == [ResumeCardPayments(), ShowPrompt("network.card_resumed")]


def test_the_paused_prompt_names_the_latest_cause_in_the_cashiers_language():
    flow = NetworkDropFlow("N0")
    flow.handle(LinkDown("cannot connect to 127.0.0.1:7002: [Errno 111] Connection refused", "unreachable"))
    flow.handle(LinkDown("no answer to echo within 2.0 s", "unanswered"))
    zh, en = (render(flow.prompt(), language) for language in ("zh-CN", "en"))
    assert "银行没有应答或应答异常" in zh.steps[0]
    assert not any(char.isascii() and char.isalpha() for char in zh.title + "".join(zh.steps))
    assert "the bank stopped answering properly" in en.steps[0]
    assert flow.ctx.link_down_reason == "no answer to echo within 2.0 s"  # the link's words, kept for the log


def test_a_paused_flow_saved_before_the_cause_existed_still_resumes_and_says_the_link_is_down():
    saved = {"flow": "network_drop", "version": 1, "flow_id": "network_drop-3", "state": "CARD_PAUSED",
             "context": {"sale": None, "max_reversal_failures": 5, "reversal_failures": 0,
                         "reversal_acknowledged": False, "link_down_reason": "connection refused"}}
    flow = NetworkDropFlow.from_json(saved)
    assert flow.prompt() == ShowPrompt("network.card_paused", {"cause": "down"})
    assert "与银行的连接已断开" in render(flow.prompt(), "zh-CN").steps[0]
    assert flow.handle(LinkUp(5.0)) == [StartTimer("network_drop-3:link_steady", 10.0)]


@pytest.mark.parametrize("bad", [{"link_down_cause": "flaky"}, {"steady_for": 0}, {"steady_for": True}])
def test_a_context_with_an_unknown_cause_or_no_steady_time_is_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        NetworkDropFlow("N0", **bad)


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


# -- the acquirer refuses the reversal: it had settled the charge ----------------------------------------

REFUSED = ReversalRefused(SALE_ID, STAN, "12")


def charge_stands_effects(effects):
    """The manager has it at once; nobody is told a hold is released and the case is not closed."""
    assert EscalateToManager("N1", CHARGE_STANDS_REASON, SENT, 0) in effects
    assert not [effect for effect in effects if isinstance(effect, Notify | ResolveCase)]
    assert prompts(effects) == ["network.charge_stands"]


def test_refused_after_the_customer_left_escalates_at_once_and_keeps_the_case_open():
    flow = customer_gone()
    effects = flow.handle(REFUSED)
    charge_stands_effects(effects)
    assert flow.state.name == "CHARGE_STANDS"
    assert flow.handle(ReversalAcknowledged(SALE_ID, STAN)) == []  # nothing more happens in this flow


def test_refused_after_failed_attempts_escalates_again_with_what_happened():
    flow = customer_gone(max_reversal_failures=2)
    for _ in range(2):
        flow.handle(ReversalFailed(SALE_ID, STAN, "96"))
    assert flow.state.name == "ESCALATED"
    effects = flow.handle(REFUSED)
    assert EscalateToManager("N1", CHARGE_STANDS_REASON, SENT, 2) in effects
    assert prompts(effects) == ["network.charge_stands"]


def test_refused_while_the_customer_is_at_the_counter_opens_the_case_for_the_manager():
    flow = unknown()
    effects = flow.handle(REFUSED)
    assert effects[0] == OpenCase("N1", "network_drop", (SALE_ID,), AMOUNT, SENT.masked)
    charge_stands_effects(effects)


def test_refused_while_the_contact_is_taken_goes_to_the_manager_once_the_form_is_done():
    flow = unknown()
    flow.handle(action("other_payment"))  # paid in cash too: paid twice, the manager must refund one
    assert flow.handle(REFUSED) == []
    effects = flow.handle(action("contact_saved"))
    assert OpenCase("N1", "network_drop", (SALE_ID,), AMOUNT, SENT.masked, "C1") in effects
    charge_stands_effects(effects)


def test_the_charge_stands_prompt_says_the_card_was_charged_in_both_languages():
    flow = customer_gone()
    flow.handle(REFUSED)
    zh, en = (render(flow.prompt(), language) for language in ("zh-CN", "en"))
    assert "已被扣款" in "".join(zh.steps) and "退货" in "".join(zh.steps) and "无需再付" in "".join(zh.steps)
    text = " ".join(en.steps)
    assert "was charged" in text and "refunded" in text and "owes nothing" in text
