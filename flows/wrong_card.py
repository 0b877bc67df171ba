"""刷错卡: an approved sale was charged to the wrong card — cancel it, charge the right one, tell the customer.

The cashier confirms the facts (time, amount, masked card) with the customer first, and apologises.
The charge is then taken back: a void (0200, processing code 020000) while the sale is still in the
open batch, which the acquirer refuses (12) once the batch has settled — then a refund (200000) takes
it back instead. Only after the acquirer has said yes is the right card charged, as a new sale linked
to the case, so the customer is never charged on both cards for one purchase.

A cancellation is money moving, so it follows the rules of any request: journaled before the wire, and
an answer that never comes is reversed, never retried blind. When the reversal is acknowledged nothing
was cancelled and the cashier may try again.

Contract with the agent: `CancelCharge` is answered by `RequestSent` (sale id and the cancellation's
own STAN) or by `LinkDown` (it never left); the answer is a `HostResponse` with that STAN.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import (
    CancelCharge,
    CancelTimer,
    EscalateToManager,
    HandOver,
    HandOverReason,
    Notify,
    QueueReversal,
    ResolveCase,
    SaleFacts,
    ShowPrompt,
    StartTimer,
)
from domain.events import CashierAction, HostResponse, LinkDown, RequestSent, ReversalAcknowledged, TimerFired
from domain.ids import Stan
from flows.base import Flow, FlowContext, prompt_facts

APPROVED = "00"
SETTLED = "12"  # invalid transaction: the acquirer's answer to a void of a sale no longer in the open batch
VOID, REFUND = "void", "refund"


class WrongCardState(enum.Enum):
    IDLE = "idle"
    CONFIRMING = "confirming"  # facts checked with the customer before anything moves
    CANCELLING = "cancelling"  # handed to the agent; not on the wire yet
    AWAITING_CANCEL = "awaiting_cancel"  # on the wire
    NOT_SENT = "not_sent"  # the link was down: nothing left, try again
    CANCEL_UNKNOWN = "cancel_unknown"  # no answer: the cancellation is being reversed
    REFUSED = "refused"  # the acquirer refused both: the manager takes it up
    TAKEN_BACK = "taken_back"  # the acquirer gave the charge back: now the right card
    CAPTURING_CONTACT = "capturing_contact"
    DONE = "done"
    NOT_WRONG = "not_wrong"  # the customer confirmed it was the right card after all


_SCREENS = {
    WrongCardState.CONFIRMING: "wrong_card.confirm",
    WrongCardState.CANCELLING: "wrong_card.cancelling",
    WrongCardState.AWAITING_CANCEL: "wrong_card.cancelling",
    WrongCardState.NOT_SENT: "wrong_card.not_sent",
    WrongCardState.CANCEL_UNKNOWN: "wrong_card.unknown",
    WrongCardState.REFUSED: "wrong_card.refused",
    WrongCardState.CAPTURING_CONTACT: "wrong_card.contact",
    WrongCardState.DONE: "wrong_card.done",
    WrongCardState.NOT_WRONG: "wrong_card.not_wrong",
}


@dataclasses.dataclass
class WrongCardContext(FlowContext):
    auth_timeout: float = 30.0
    method: str = VOID
    cancel_stan: str | None = None  # the STAN of the cancellation on the wire, or being reversed
    cancelled: str | None = None  # how it was taken back, once the acquirer said yes
    right_sale: str | None = None  # the new sale charging the right card

    def cancelling(self, event: Any) -> bool:
        return self.cancel_stan is not None and event.stan == Stan.parse(self.cancel_stan)


class WrongCardFlow(Flow):
    name = "wrong_card"
    State = WrongCardState
    Context = WrongCardContext
    ACTIONS = frozenset({"confirm_wrong_card", "not_wrong_card", "another_card", "customer_leaves", "contact_saved",
                         "contact_declined"})

    ctx: WrongCardContext

    def transitions(self) -> list[dict[str, Any]]:
        W = WrongCardState
        t = self.transition
        return [
            t("reported", W.IDLE, W.CONFIRMING, before=self.adopt),
            t("not_wrong_card", W.CONFIRMING, W.NOT_WRONG),
            t("confirm_wrong_card", [W.CONFIRMING, W.NOT_SENT], W.CANCELLING, before=self._cancel_charge),
            t("link_down", W.CANCELLING, W.NOT_SENT),
            t("request_sent", W.CANCELLING, W.AWAITING_CANCEL, before=self._start_waiting, show=False),
            t("approved", W.AWAITING_CANCEL, W.TAKEN_BACK, before=[self._stop_waiting, self._cancelled]),
            t("settled", W.AWAITING_CANCEL, W.CANCELLING, before=[self._stop_waiting, self._refund_instead]),
            t("refused", W.AWAITING_CANCEL, W.REFUSED, before=[self._stop_waiting, self._escalate]),
            t("link_down", W.AWAITING_CANCEL, W.CANCEL_UNKNOWN, before=[self._stop_waiting, self._reverse]),
            t("timed_out", W.AWAITING_CANCEL, W.CANCEL_UNKNOWN, before=self._reverse),
            t("reversed", W.CANCEL_UNKNOWN, W.NOT_SENT, before=self._forget_cancel),
            t("another_card", W.TAKEN_BACK, W.CAPTURING_CONTACT, before=[self._charge_right_card,
                                                                         self._capture_contact]),
            t("customer_leaves", [W.TAKEN_BACK, W.REFUSED, W.CANCEL_UNKNOWN, W.NOT_SENT], W.CAPTURING_CONTACT,
              before=self._capture_contact),
            t("contact_saved", W.CAPTURING_CONTACT, W.DONE, before=self._close),
            t("contact_declined", W.CAPTURING_CONTACT, W.DONE, before=self._close),
        ]

    def trigger_for(self, event: Any) -> str | None:
        ctx = self.ctx
        match event:
            case HandOver(flow="wrong_card"):
                return "reported"
            case RequestSent(sale_id=sale_id) if ctx.names_sale(sale_id) and ctx.cancel_stan is None:
                return "request_sent"
            case HostResponse() if ctx.cancelling(event):
                if event.response_code == APPROVED:
                    return "approved"
                return "settled" if event.response_code == SETTLED and ctx.method == VOID else "refused"
            case LinkDown():
                return "link_down"
            case TimerFired(name=name) if name == self._timer:
                return "timed_out"
            case ReversalAcknowledged(sale_id=sale_id) if ctx.names_sale(sale_id) and ctx.cancelling(event):
                return "reversed"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        prompt_id = _SCREENS.get(self.state)
        if self.state is WrongCardState.TAKEN_BACK:
            prompt_id = f"wrong_card.cancelled_{self.ctx.cancelled}"
        return None if prompt_id is None else ShowPrompt(prompt_id, prompt_facts(self.sale))

    @property
    def _timer(self) -> str:
        return f"{self.flow_id}.cancel_response"

    # -- callbacks -------------------------------------------------------------------------------------

    def _cancel_charge(self, _: CashierAction) -> None:
        self.emit(CancelCharge(self.sale.sale_id, self._original_stan, self.sale.amount, self.ctx.method))

    def _refund_instead(self, _: HostResponse) -> None:
        """The batch settled since the sale: a void no longer exists for it; a refund gives it back."""
        self.ctx.method = REFUND
        self.ctx.cancel_stan = None
        self._cancel_charge(_)

    def _start_waiting(self, event: RequestSent) -> None:
        self.ctx.cancel_stan = str(event.stan)
        self.emit(StartTimer(self._timer, self.ctx.auth_timeout))

    def _stop_waiting(self, _: Any) -> None:
        self.emit(CancelTimer(self._timer))

    def _cancelled(self, _: HostResponse) -> None:
        self.ctx.cancelled = self.ctx.method

    def _escalate(self, event: HostResponse) -> None:
        self.emit(EscalateToManager(self.flow_id, f"{self.ctx.method}_refused_{event.response_code}", self.sale))

    def _reverse(self, _: Any) -> None:
        assert self.ctx.cancel_stan is not None
        self.emit(QueueReversal(self.sale.sale_id, Stan.parse(self.ctx.cancel_stan), self.sale.amount))

    def _forget_cancel(self, _: ReversalAcknowledged) -> None:
        self.ctx.cancel_stan = None

    def _charge_right_card(self, _: CashierAction) -> None:
        self.ctx.right_sale = f"{self.sale.sale_id}-right"
        self.emit(HandOver("sale", HandOverReason.RIGHT_CARD, SaleFacts(self.ctx.right_sale, self.sale.amount)))

    def _capture_contact(self, _: CashierAction) -> None:
        self.capture_contact("refund_progress")

    def _close(self, event: CashierAction) -> None:
        self.open_case(event)
        if self.ctx.cancelled is None:
            return  # refused or unknown: the case stays open for the manager and the follow-ups
        self.emit(Notify(self.flow_id, f"wrong_card.{self.ctx.cancelled}"))
        if self.ctx.cancelled == VOID:  # never settled: nothing will show on the statement
            self.emit(ResolveCase(self.flow_id, "voided"))

    @property
    def _original_stan(self) -> Stan:
        assert self.sale.stan is not None, "a wrong-card sale was approved, so it has a STAN"
        return self.sale.stan
