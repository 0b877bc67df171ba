"""The money rules at the flow level, over random event sequences (Hypothesis stateful testing).

A small stand-in for the agent feeds device and host events to every live flow, cashier actions to one
flow, starts the flow each `HandOver` names, keeps the timers, and sends each authorization at most
once — or answers it with `LinkDown` while the link is down — as the agent does. It also delivers late
and unmatched answers, and word of requests nobody asked for, to check that the flows stay safe when
the world misbehaves. After every step:

1. never two `SendAuthorization` for one sale without a definitive outcome in between;
2. every unknown outcome has exactly one `QueueReversal`, and an answered request none;
3. no `Print` of a paid receipt but in answer to a 00 `HostResponse` for that receipt's STAN;
4. no prompt asking for a card for a sale whose outcome is not yet known;
and every prompt renders in both languages, and no flow's saved form ever holds the card number.
"""

from __future__ import annotations

import collections
import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.effects import (
    CancelTimer,
    HandOver,
    HandOverReason,
    Print,
    QueueReversal,
    SendAuthorization,
    ShowPrompt,
    StartTimer,
)
from domain.events import (
    AmountEntered,
    CardRead,
    CashierAction,
    EntryMode,
    HostResponse,
    LinkDown,
    LinkUp,
    ReadCheck,
    ReadError,
    RequestSent,
    ReversalAcknowledged,
    ReversalFailed,
    TimerFired,
)
from domain.ids import Rrn, Stan
from domain.money import Money
from flows import FLOWS, Flow, NetworkDropFlow, SaleFlow
from flows.prompts import LANGUAGES, catalogue, render
from tests.flows.samples import ACTION_NAMES, CARD, T0, action

CONFIG: dict[str, dict[str, Any]] = {"network_drop": {"max_reversal_failures": 2}}
# Approval, and one refusal of each kind: another card, retry later, retry and alert, and a code with no
# prompt of its own (94, duplicate).
CODES = st.sampled_from(("00", "51", "91", "30", "94"))
OPEN_SALE = {"WAITING_CARD", "AUTHORIZING", "AWAITING_RESPONSE"}
CARD_ASKING = {prompt_id for prompt_id, prompt in catalogue().prompts.items()
               if prompt_id == "sale.present_card" or prompt_id.startswith("sale.read_error.")
               or {"another_card", "retry_card"} & set(prompt.actions)}


class AgentAtTheCounter(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.flows: list[Flow] = []
        self.sale_ids: list[str] = []
        self.stans: list[Stan] = []
        self.to_send: list[str] = []  # authorizations the agent has not yet put on the wire
        self.outstanding: set[str] = set()  # sales with an authorization whose outcome is not definitive
        self.sent: dict[Stan, str] = {}  # requests a flow took as sent, and their sale
        self.waiting: dict[Stan, Flow] = {}  # the sale flow still waiting for that request's answer
        self.answered: set[Stan] = set()
        self.released: set[Stan] = set()
        self.reversals: collections.Counter[Stan] = collections.Counter()
        self.timers: set[str] = set()
        self.link_up = True
        self.unsendable: list[Flow] = []  # asked to authorize while the link is down

    # -- the agent's part --------------------------------------------------------------------------------

    def start(self, name: str, event: Any) -> None:
        flow = FLOWS[name](f"F{len(self.flows)}", **CONFIG.get(name, {}))
        self.flows.append(flow)
        self.feed(event, [flow])

    def feed(self, event: Any, flows: list[Flow] | None = None) -> None:
        self.deliver(event, flows)
        while self.unsendable:  # the agent's answer to an authorization it cannot send
            self.deliver(LinkDown("link is down"), [self.unsendable.pop(0)])

    def deliver(self, event: Any, flows: list[Flow] | None) -> None:
        for flow in list(self.flows if flows is None else flows):
            if not flow.expects(event):
                assert flow.handle(event) == []
                continue
            before = flow.to_json()
            effects = flow.handle(event)
            after = flow.to_json()
            if effects or after != before:
                self.took(flow, event, before["state"])
                assert CARD.pan not in json.dumps(after)
            for effect in effects:
                self.carry_out(flow, event, effect)

    def took(self, flow: Flow, event: Any, was: str) -> None:
        """A flow acted on `event`: note what that settles."""
        if isinstance(event, RequestSent):
            self.sent[event.stan] = event.sale_id
            self.outstanding.add(event.sale_id)
            if isinstance(flow, SaleFlow):
                self.waiting[event.stan] = flow
        elif isinstance(event, HostResponse):  # only the sale waiting for it acts on an answer, never a late one
            assert was == "AWAITING_RESPONSE" and event.stan in self.waiting
            self.answered.add(event.stan)
            self.outstanding.discard(self.sent[event.stan])
        elif isinstance(event, ReversalAcknowledged):
            self.released.add(event.stan)
            self.outstanding.discard(event.sale_id)

    def carry_out(self, flow: Flow, event: Any, effect: Any) -> None:
        match effect:
            case SendAuthorization(sale_id=sale_id):
                assert sale_id not in self.outstanding, f"second authorization for {sale_id} before an outcome"
                self.outstanding.add(sale_id)
                if self.link_up:
                    self.to_send.append(sale_id)
                else:
                    self.unsendable.append(flow)
            case HandOver(reason=reason, sale=sale):
                if reason is HandOverReason.NOTHING_CHARGED:
                    self.outstanding.discard(sale.sale_id)
                self.start(effect.flow, effect)
            case QueueReversal(stan=stan):
                self.reversals[stan] += 1
            case Print(document={"type": "contact"} as document):  # a slip for a customer who leaves
                assert "status" not in document and isinstance(event, CashierAction)
            case Print(document=document):  # a receipt: only ever for an approval
                assert isinstance(event, HostResponse) and event.response_code == "00"
                assert document["status"] == "approved" and document["stan"] == str(event.stan)
            case StartTimer(name=name):
                self.timers.add(name)
            case CancelTimer(name=name):
                self.timers.discard(name)
            case ShowPrompt(prompt_id=prompt_id):
                for language in LANGUAGES:
                    render(effect, language)
                if prompt_id in CARD_ASKING:
                    assert flow.ctx.sale is not None
                    assert flow.ctx.sale.sale_id not in self.pending_sales(), f"{prompt_id} while result unknown"

    def pending_sales(self) -> set[str]:
        return {sale for stan, sale in self.sent.items() if stan not in self.answered | self.released}

    def now(self) -> datetime:
        return T0 + timedelta(seconds=len(self.stans))

    def fresh_stan(self) -> Stan:
        self.stans.append(Stan(len(self.stans) + 1))
        return self.stans[-1]

    # -- what happens at the counter ---------------------------------------------------------------------

    def sale_open(self) -> bool:
        return any(isinstance(flow, SaleFlow) and flow.state.name in OPEN_SALE for flow in self.flows)

    @initialize(amount=st.integers(1, 10**7))
    def first_customer(self, amount: int) -> None:
        self.amount_entered(amount)

    @precondition(lambda self: not self.sale_open())  # one customer at a time
    @rule(amount=st.integers(1, 10**7), card_at_once=st.booleans())
    def amount_entered(self, amount: int, card_at_once: bool = False) -> None:
        self.sale_ids.append(f"S{len(self.sale_ids) + 1}")
        self.start("sale", AmountEntered(self.sale_ids[-1], Money(amount)))
        if card_at_once:
            self.feed(CardRead(CARD, EntryMode.CHIP, "9f" * 32))

    @rule(read=st.one_of(st.sampled_from(EntryMode).map(lambda mode: CardRead(CARD, mode, "9f" * 32)),
                         st.sampled_from(ReadCheck).map(lambda check: ReadError(check, "sample"))))
    def reader(self, read: CardRead | ReadError) -> None:
        self.feed(read)

    @precondition(lambda self: self.to_send or self.awaited() or not self.link_up)
    @rule(code=CODES, answer_at_once=st.booleans())
    def acquirer(self, code: str, answer_at_once: bool) -> None:
        """What the link does when all goes well: come back, send what is queued, answer what is awaited."""
        if not self.link_up:
            self.link(up=True)
        elif self.to_send:
            self.feed(RequestSent(self.to_send.pop(0), self.fresh_stan(), self.now()))
            if not answer_at_once:
                return
        for stan in self.awaited():
            self.answer(stan, code)

    def awaited(self) -> list[Stan]:
        return [stan for stan, flow in self.waiting.items() if flow.state.name == "AWAITING_RESPONSE"]

    def answer(self, stan: Stan, code: str) -> None:
        self.feed(HostResponse(stan, code, Rrn(f"{stan.value:012d}"), "A1B2C3" if code == "00" else None))

    @precondition(lambda self: self.stans)
    @rule(data=st.data(), code=CODES, unasked_request=st.booleans())
    def stray(self, data: st.DataObject, code: str, unasked_request: bool) -> None:
        """A late or unmatched answer, or word of a request the flows never asked for."""
        if unasked_request:
            self.feed(RequestSent(data.draw(st.sampled_from(self.sale_ids)), self.fresh_stan(), self.now()))
        else:
            self.answer(data.draw(st.sampled_from(self.stans)), code)

    @rule(up=st.booleans())
    def link(self, up: bool) -> None:
        self.link_up = up
        if up:
            self.feed(LinkUp(10.0))
            return
        self.to_send.clear()  # the agent sends nothing while the link is down
        self.feed(LinkDown("echo timeout"))
        if not any(isinstance(flow, NetworkDropFlow) and flow.state.name == "CARD_PAUSED" for flow in self.flows):
            self.start("network_drop", LinkDown("echo timeout"))

    @precondition(lambda self: self.timers)
    @rule(data=st.data())
    def timer_fires(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.timers)))
        self.timers.discard(name)
        self.feed(TimerFired(name))

    def on_screen(self) -> list[Flow]:
        """The flows waiting for the cashier: those that take at least one action."""
        return [flow for flow in self.flows if any(flow.expects(action(name)) for name in ACTION_NAMES)]

    @precondition(lambda self: self.on_screen())
    @rule(data=st.data(), name=st.sampled_from(ACTION_NAMES))
    def cashier_acts(self, data: st.DataObject, name: str) -> None:
        self.feed(action(name), [data.draw(st.sampled_from(self.on_screen()))])

    @precondition(lambda self: self.reversals)
    @rule(data=st.data(), acknowledged=st.booleans())
    def reversal_attempt(self, data: st.DataObject, acknowledged: bool) -> None:
        stan = data.draw(st.sampled_from(sorted(self.reversals)))
        sale_id = self.sent[stan]
        self.feed(ReversalAcknowledged(sale_id, stan) if acknowledged else ReversalFailed(sale_id, stan, "reset"))

    # -- the rules -----------------------------------------------------------------------------------------

    @invariant()
    def every_unknown_outcome_has_exactly_one_reversal(self) -> None:
        for stan in self.sent:
            if stan in self.answered:
                assert self.reversals[stan] == 0, f"answered request {stan} reversed"
            elif stan in self.waiting and self.waiting[stan].state.name == "AWAITING_RESPONSE":
                assert self.reversals[stan] == 0, f"reversal queued for {stan} while still waiting for its answer"
            else:
                assert self.reversals[stan] == 1, f"unknown outcome of {stan} reversed {self.reversals[stan]} times"
        assert set(self.reversals) <= set(self.sent)


TestMoneyRules = AgentAtTheCounter.TestCase
