"""The settlement flow on its own: what it asks the agent for at each answer, and what it never mistakes
for its own answer."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.effects import CancelTimer, SendSettlement, SendStoredReversals, SettlementTotals, ShowPrompt, StartTimer
from domain.events import (
    HostResponse,
    LinkDown,
    RequestSent,
    SettlementRequested,
    StoredReversalsSent,
    StoredReversalsStuck,
)
from domain.ids import Stan
from domain.money import Money
from flows.settlement import SettlementFlow

TOTALS = SettlementTotals(3, Money(17400), 1, Money(1250))
AT = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def sent(flow: SettlementFlow, stan: int = 41) -> SettlementFlow:
    flow.handle(RequestSent("settlement-1", Stan(stan), AT))
    return flow


def started() -> SettlementFlow:
    flow = SettlementFlow("settlement-1", response_timeout=30.0)
    effects = flow.handle(SettlementRequested(TOTALS))
    assert effects[0] == SendSettlement("settlement-1", TOTALS)
    assert effects[1] == ShowPrompt("settlement.settling", {"sales": "3", "sales_amount": Money(17400),
                                                            "refunds": "1", "refunds_amount": Money(1250)})
    return flow


def test_the_answer_is_waited_for_with_a_timer_and_only_its_own_stan_is_heard():
    flow = started()
    assert flow.handle(RequestSent("sale-9", Stan(41), AT)) == []  # another request of the counter's
    assert flow.handle(RequestSent("settlement-1", Stan(41), AT)) == [StartTimer("settlement-1.settlement_response",
                                                                                 30.0)]
    assert flow.handle(HostResponse(Stan(40), "00")) == []
    assert flow.handle(HostResponse(Stan(41), "00"))[0] == CancelTimer("settlement-1.settlement_response")
    assert flow.state.name == "BALANCED"


def test_out_of_balance_twice_is_a_real_difference():
    flow = sent(started())
    assert SendStoredReversals() in flow.handle(HostResponse(Stan(41), "95"))
    again = flow.handle(StoredReversalsSent(2))
    assert again[0] == SendSettlement("settlement-1", TOTALS) and flow.state.name == "SETTLING"
    sent(flow, 42).handle(HostResponse(Stan(42), "95"))
    assert flow.state.name == "OUT_OF_BALANCE" and flow.prompt().facts["stored"] == "2"


def test_out_of_balance_with_nothing_stored_is_not_settled_again():
    flow = sent(started())
    flow.handle(HostResponse(Stan(41), "95"))
    assert not any(isinstance(e, SendSettlement) for e in flow.handle(StoredReversalsSent(0)))
    assert flow.state.name == "OUT_OF_BALANCE"


def test_a_stored_reversal_that_will_not_go_and_a_link_lost_before_the_answer():
    flow = sent(started())
    flow.handle(HostResponse(Stan(41), "95"))
    assert flow.handle(LinkDown("echo timeout")) == []  # store-and-forward answers for the reversals
    flow.handle(StoredReversalsStuck(1, "refused 96"))
    assert flow.state.name == "STORED_UNSENT" and flow.prompt().facts["pending"] == "1"
    lost = sent(started())
    lost.handle(LinkDown("echo timeout"))
    assert lost.state.name == "NO_ANSWER" and lost.handle(HostResponse(Stan(41), "00")) == []


def test_any_other_answer_means_no_totals_and_says_its_code():
    flow = sent(started())
    flow.handle(HostResponse(Stan(41), "91"))
    assert flow.state.name == "UNAVAILABLE" and flow.prompt().facts["code"] == "91"
