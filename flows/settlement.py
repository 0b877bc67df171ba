"""结算 end of day: settle the terminal's batch with the acquirer; balanced, out of balance, or no totals.

The terminal sends its totals (0500: how many sales and refunds, for how much) and the acquirer compares
them with its own. Balanced (00) closes the batch. Out of balance (95) most often means the acquirer
still holds authorizations the terminal has already let go of — reversals waiting in store-and-forward
— so those are sent first and the totals sent again; only a second 95 is a real difference, for the
acquirer and tomorrow's settlement file to explain. Any other answer, or none, means the acquirer gave
no totals: the batch stays open, nothing is lost, and settling again later is the next step.

Contract with the agent: `SendSettlement` is answered by `RequestSent` (this flow's id and the 0500's
STAN) or `LinkDown`; the 0510 is a `HostResponse` with that STAN. `SendStoredReversals` is answered by
`StoredReversalsSent` or `StoredReversalsStuck` — a link lost meanwhile is the latter.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import CancelTimer, SendSettlement, SendStoredReversals, SettlementTotals, ShowPrompt, StartTimer
from domain.events import (
    HostResponse,
    LinkDown,
    RequestSent,
    SettlementRequested,
    StoredReversalsSent,
    StoredReversalsStuck,
    TimerFired,
)
from domain.ids import Stan
from domain.money import Money
from flows.base import Flow, FlowContext

BALANCED = "00"
OUT_OF_BALANCE = "95"


class SettlementState(enum.Enum):
    IDLE = "idle"
    SETTLING = "settling"  # the totals are handed to the agent
    AWAITING_ANSWER = "awaiting_answer"  # the 0500 is on the wire
    SENDING_STORED = "sending_stored"  # out of balance: the stored reversals go first
    BALANCED = "balanced"  # the batch is closed
    OUT_OF_BALANCE = "out_of_balance"  # still different with nothing left to send: the acquirer explains
    UNAVAILABLE = "unavailable"  # the acquirer answered without totals: settle again later
    NO_ANSWER = "no_answer"  # the 0500 went unanswered or never left: settle again later
    STORED_UNSENT = "stored_unsent"  # a stored reversal could not be sent: settle once it has been


_SCREENS = {
    SettlementState.SETTLING: "settlement.settling",
    SettlementState.AWAITING_ANSWER: "settlement.settling",
    SettlementState.SENDING_STORED: "settlement.sending_stored",
    SettlementState.BALANCED: "settlement.balanced",
    SettlementState.OUT_OF_BALANCE: "settlement.out_of_balance",
    SettlementState.UNAVAILABLE: "settlement.unavailable",
    SettlementState.NO_ANSWER: "settlement.no_answer",
    SettlementState.STORED_UNSENT: "settlement.stored_unsent",
}


@dataclasses.dataclass
class SettlementContext(FlowContext):
    response_timeout: float = 30.0
    currency: str = "CNY"
    sales: int = 0
    sales_minor: int = 0
    refunds: int = 0
    refunds_minor: int = 0
    stan: str | None = None  # the 0500 on the wire
    code: str | None = None  # the acquirer's last answer
    resent: bool = False  # the totals went again after the stored reversals
    stored_sent: int = 0  # stored reversals sent because the batch was out of balance
    pending: int = 0  # stored reversals that could not be sent

    @property
    def totals(self) -> SettlementTotals:
        return SettlementTotals(self.sales, Money(self.sales_minor, self.currency), self.refunds,
                                Money(self.refunds_minor, self.currency))

    def first_difference(self, _: Any) -> bool:
        return not self.resent

    def something_sent(self, event: StoredReversalsSent) -> bool:
        return event.sent > 0


class SettlementFlow(Flow):
    name = "settlement"
    State = SettlementState
    Context = SettlementContext

    ctx: SettlementContext

    def transitions(self) -> list[dict[str, Any]]:
        S = SettlementState
        t = self.transition
        ctx = self.ctx
        return [
            t("requested", S.IDLE, S.SETTLING, before=[self._adopt, self._send]),
            t("request_sent", S.SETTLING, S.AWAITING_ANSWER, before=self._start_waiting, show=False),
            t("link_down", S.SETTLING, S.NO_ANSWER),
            t("balanced", S.AWAITING_ANSWER, S.BALANCED, before=self._stop_waiting),
            t("out_of_balance", S.AWAITING_ANSWER, S.SENDING_STORED, conditions=ctx.first_difference,
              before=[self._stop_waiting, self._send_stored]),
            t("out_of_balance", S.AWAITING_ANSWER, S.OUT_OF_BALANCE, before=self._stop_waiting),
            t("unavailable", S.AWAITING_ANSWER, S.UNAVAILABLE, before=self._stop_waiting),
            t("link_down", S.AWAITING_ANSWER, S.NO_ANSWER, before=self._stop_waiting),
            t("timed_out", S.AWAITING_ANSWER, S.NO_ANSWER, before=self._forget),
            t("stored_sent", S.SENDING_STORED, S.SETTLING, conditions=ctx.something_sent,
              before=[self._resend, self._send]),
            t("stored_sent", S.SENDING_STORED, S.OUT_OF_BALANCE),
            t("stored_stuck", S.SENDING_STORED, S.STORED_UNSENT, before=self._stuck),
        ]

    def trigger_for(self, event: Any) -> str | None:
        ctx = self.ctx
        match event:
            case SettlementRequested():
                return "requested"
            case RequestSent(sale_id=flow_id) if flow_id == self.flow_id and ctx.stan is None:
                return "request_sent"
            case HostResponse(stan=stan) if ctx.stan is not None and stan == Stan.parse(ctx.stan):
                return {BALANCED: "balanced", OUT_OF_BALANCE: "out_of_balance"}.get(event.response_code,
                                                                                     "unavailable")
            case LinkDown():
                return "link_down"
            case TimerFired(name=name) if name == self._timer:
                return "timed_out"
            case StoredReversalsSent():
                return "stored_sent"
            case StoredReversalsStuck():
                return "stored_stuck"
        return None

    def prompt(self) -> ShowPrompt | None:
        prompt_id = _SCREENS.get(self.state)
        if prompt_id is None:
            return None
        ctx = self.ctx
        totals = ctx.totals
        facts: dict[str, Any] = {"sales": str(totals.sales), "sales_amount": totals.sales_amount,
                                 "refunds": str(totals.refunds), "refunds_amount": totals.refunds_amount}
        if self.state is SettlementState.UNAVAILABLE:
            facts["code"] = ctx.code
        elif self.state is SettlementState.OUT_OF_BALANCE:
            facts["stored"] = str(ctx.stored_sent)
        elif self.state is SettlementState.STORED_UNSENT:
            facts["pending"] = str(ctx.pending)
        return ShowPrompt(prompt_id, facts)

    @property
    def _timer(self) -> str:
        return f"{self.flow_id}.settlement_response"

    # -- callbacks -------------------------------------------------------------------------------------

    def _adopt(self, event: SettlementRequested) -> None:
        totals = event.totals
        self.ctx.currency = totals.sales_amount.currency
        self.ctx.sales, self.ctx.sales_minor = totals.sales, totals.sales_amount.minor
        self.ctx.refunds, self.ctx.refunds_minor = totals.refunds, totals.refunds_amount.minor

    def _send(self, _: Any) -> None:
        self.ctx.stan = None
        self.emit(SendSettlement(self.flow_id, self.ctx.totals))

    def _start_waiting(self, event: RequestSent) -> None:
        self.ctx.stan = str(event.stan)
        self.emit(StartTimer(self._timer, self.ctx.response_timeout))

    def _stop_waiting(self, event: Any) -> None:
        if isinstance(event, HostResponse):
            self.ctx.code = event.response_code
        self.ctx.stan = None
        self.emit(CancelTimer(self._timer))

    def _forget(self, _: TimerFired) -> None:
        self.ctx.stan = None  # an answer after this is journaled by the link and heard by no one

    def _send_stored(self, _: HostResponse) -> None:
        self.emit(SendStoredReversals())

    def _resend(self, event: StoredReversalsSent) -> None:
        self.ctx.resent = True
        self.ctx.stored_sent = event.sent

    def _stuck(self, event: StoredReversalsStuck) -> None:
        self.ctx.pending = event.pending
