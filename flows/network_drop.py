"""交易失败·网络 / 已扣款未到账: the acquirer link failed, at the counter or in the middle of a sale.

Three situations, one flow:
- the link drops with no sale at stake: card payments pause counter-wide until it is back and has held for
  `steady_for` seconds. A link that comes back only to drop again (a host that takes the connection and
  the echo test but drops every request) stays one pause, in this one flow, however often it flaps;
- a sale's request never left: nothing was charged, so the customer may pay another way now or by
  card once the link is back;
- a request left and no answer came: the result is UNKNOWN. The card may be held, so the customer
  is never asked to pay by card again; a reversal is queued at once (exactly once), the customer pays
  another way or leaves, their contact is taken so they can be told when the hold is released, and a
  case stays open until the acquirer acknowledges the reversal — or the manager takes it over after
  `max_reversal_failures` failed attempts, or at once if the acquirer refuses the reversal for good because
  it had already settled the charge: then the card *was* charged, and no one may say the hold is released.

The agent starts one of these with `LinkDown` whenever the link drops and none is watching it, and one
per sale with the `HandOver` a sale emits.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import (
    CancelTimer,
    EscalateToManager,
    HandOver,
    HandOverReason,
    Notify,
    OpenCase,
    PauseCardPayments,
    QueueReversal,
    ResolveCase,
    ResumeCardPayments,
    ShowPrompt,
    StartTimer,
)
from domain.events import (
    LINK_DOWN_CAUSES,
    CardRead,
    CashierAction,
    LinkDown,
    LinkUp,
    RequestSent,
    ReversalAcknowledged,
    ReversalFailed,
    ReversalRefused,
    TimerFired,
)
from flows.base import Flow, FlowContext, prompt_facts

HOLD_RELEASED_TEMPLATE = "network_drop.hold_released"
# Why the manager has the case when the acquirer refused the reversal of a charge it had settled.
CHARGE_STANDS_REASON = "reversal_refused_charge_settled"


class NetworkDropState(enum.Enum):
    IDLE = "idle"
    CARD_PAUSED = "card_paused"  # link down, no sale at stake
    LINK_BACK = "link_back"  # the link is up again; card payments stay paused until it has held
    CARD_RESUMED = "card_resumed"
    NOTHING_CHARGED = "nothing_charged"  # the request never left; the link is still down
    RETRY_OFFERED = "retry_offered"  # nothing charged and the link is back
    OUTCOME_UNKNOWN = "outcome_unknown"  # the customer is at the counter, the reversal is queued
    CAPTURING_CONTACT = "capturing_contact"
    RELEASED = "released"  # the reversal was acknowledged while the customer was still at the counter
    AWAITING_REVERSAL = "awaiting_reversal"  # the customer has left; the case is open
    ESCALATED = "escalated"  # the reversal keeps failing; the manager has the facts
    CHARGE_STANDS = "charge_stands"  # the acquirer settled the charge before the reversal came; the manager has it
    RESOLVED = "resolved"  # the hold is released and the customer has been told
    PAID_OTHERWISE = "paid_otherwise"
    CANCELLED = "cancelled"
    HANDED_BACK = "handed_back"  # a card payment is tried again, in a new sale flow


# The screens about one sale; IDLE and HANDED_BACK have none (nothing yet, or the new sale's).
_SCREENS = {
    NetworkDropState.NOTHING_CHARGED: "network.nothing_charged",
    NetworkDropState.RETRY_OFFERED: "network.retry_offered",
    NetworkDropState.OUTCOME_UNKNOWN: "network.outcome_unknown",
    NetworkDropState.CAPTURING_CONTACT: "network.contact",
    NetworkDropState.RELEASED: "network.released",
    NetworkDropState.AWAITING_REVERSAL: "network.case_opened",
    NetworkDropState.ESCALATED: "network.escalated",
    NetworkDropState.CHARGE_STANDS: "network.charge_stands",
    NetworkDropState.RESOLVED: "network.resolved",
    NetworkDropState.PAID_OTHERWISE: "payment.recorded",
    NetworkDropState.CANCELLED: "sale.cancelled",
}


@dataclasses.dataclass
class NetworkDropContext(FlowContext):
    max_reversal_failures: int = 5
    reversal_failures: int = 0
    reversal_acknowledged: bool = False  # while the contact step is still going on
    reversal_refused: bool = False  # likewise: the acquirer settled the charge, the reversal was refused
    link_down_reason: str = ""  # the link's own words, for the log; the screen says `link_down_cause`
    link_down_cause: str = "down"  # one of LINK_DOWN_CAUSES ("down" in flows saved before there was one)
    steady_for: float = 10.0  # seconds the link must hold after coming back before card payments resume

    def __post_init__(self) -> None:
        if isinstance(self.max_reversal_failures, bool) or not isinstance(self.max_reversal_failures, int) \
                or self.max_reversal_failures < 1:
            raise ValueError(f"max_reversal_failures must be a whole number of at least 1, "
                             f"got {self.max_reversal_failures!r}")
        if self.link_down_cause not in LINK_DOWN_CAUSES:
            raise ValueError(f"link_down_cause must be one of {', '.join(LINK_DOWN_CAUSES)}, "
                             f"got {self.link_down_cause!r}")
        if isinstance(self.steady_for, bool) or not isinstance(self.steady_for, int | float) \
                or not self.steady_for > 0:
            raise ValueError(f"steady_for must be a number of seconds above 0, got {self.steady_for!r}")

    # Conditions, named for the diagrams.
    def card_was_read(self, *_: Any) -> bool:
        """Without a card no request can have been made: word of one is about another attempt."""
        return self.sale is not None and self.sale.masked is not None

    def released(self, *_: Any) -> bool:
        return self.reversal_acknowledged

    def charge_stood(self, *_: Any) -> bool:
        return self.reversal_refused

    def escalated(self, *_: Any) -> bool:
        return self.reversal_failures >= self.max_reversal_failures

    def last_attempt(self, *_: Any) -> bool:
        """This failure is the one that exhausts the attempts."""
        return self.reversal_failures + 1 >= self.max_reversal_failures


class NetworkDropFlow(Flow):
    name = "network_drop"
    State = NetworkDropState
    Context = NetworkDropContext
    ACTIONS = frozenset({"other_payment", "cancel", "retry_card", "customer_leaves", "contact_saved",
                         "contact_declined"})

    ctx: NetworkDropContext

    def transitions(self) -> list[dict[str, Any]]:
        N = NetworkDropState
        t = self.transition
        at_counter = [N.OUTCOME_UNKNOWN, N.CAPTURING_CONTACT]
        nothing_charged = [N.NOTHING_CHARGED, N.RETRY_OFFERED]
        contact_done = [
            transition
            for action in ("contact_saved", "contact_declined")
            for transition in (
                t(action, N.CAPTURING_CONTACT, N.RESOLVED, conditions=self.ctx.released,
                  before=[self.open_case, self._tell_released]),
                t(action, N.CAPTURING_CONTACT, N.CHARGE_STANDS, conditions=self.ctx.charge_stood,
                  before=[self.open_case, self._escalate_charge_stands]),
                t(action, N.CAPTURING_CONTACT, N.ESCALATED, conditions=self.ctx.escalated, before=self.open_case),
                t(action, N.CAPTURING_CONTACT, N.AWAITING_REVERSAL, before=self.open_case),
            )
        ]
        return [
            # The link as a whole: paused until it is back and has held for `steady_for` seconds. A drop
            # in between is the same outage, so it stays this flow's; the prompt names the latest cause.
            t("link_down", N.IDLE, N.CARD_PAUSED, before=self._pause),
            t("link_down", N.CARD_PAUSED, None, before=self._note_cause),
            # (The screen is the same in both states; the counter shows a cause that changed.)
            t("link_up", N.CARD_PAUSED, N.LINK_BACK, before=self._watch_steady, show=False),
            t("link_up", N.LINK_BACK, None, before=self._watch_steady),  # after a restart: the timer was lost
            t("link_down", N.LINK_BACK, N.CARD_PAUSED, before=[self._stop_watching, self._note_cause], show=False),
            t("link_steady", N.LINK_BACK, N.CARD_RESUMED, before=self._resume),
            # Nothing charged.
            t("nothing_charged", N.IDLE, N.NOTHING_CHARGED, before=self.adopt),
            t("link_up", N.NOTHING_CHARGED, N.RETRY_OFFERED),
            t("link_down", N.RETRY_OFFERED, N.NOTHING_CHARGED),
            t("retry_card", N.RETRY_OFFERED, N.HANDED_BACK, before=self._hand_back, show=False),
            t("other_payment", nothing_charged, N.PAID_OTHERWISE, before=self.record_payment),
            t("cancel", nothing_charged, N.CANCELLED),
            # The agent's word that the request did leave after all outweighs the earlier "not sent".
            t("request_sent", nothing_charged, N.OUTCOME_UNKNOWN, conditions=self.ctx.card_was_read,
              before=[self._note_sent, self._reverse]),
            # Outcome unknown, customer at the counter.
            t("outcome_unknown", N.IDLE, N.OUTCOME_UNKNOWN, before=[self.adopt, self._reverse]),
            t("other_payment", N.OUTCOME_UNKNOWN, N.CAPTURING_CONTACT,
              before=[self.record_payment, self._capture_contact]),
            t("customer_leaves", N.OUTCOME_UNKNOWN, N.CAPTURING_CONTACT, before=self._capture_contact),
            # A card presented now must not be charged: the screen says "do not swipe again" once more.
            t("card_read", at_counter, None, before=self.show),
            t("reversal_failed", at_counter, None, before=self._count_failure),
            t("reversal_acknowledged", N.OUTCOME_UNKNOWN, N.RELEASED),
            t("reversal_acknowledged", N.CAPTURING_CONTACT, None, before=self._note_released),
            # The acquirer had settled the charge before the reversal reached it: the card was charged. The
            # manager takes it at once; the customer at the counter leaves their details for the case.
            t("reversal_refused", N.OUTCOME_UNKNOWN, N.CHARGE_STANDS, before=self._charge_stands_at_counter),
            t("reversal_refused", N.CAPTURING_CONTACT, None, before=self._note_refused),
            *contact_done,
            # Released while the customer is still here: they are told in person and may pay again.
            t("retry_card", N.RELEASED, N.HANDED_BACK, before=self._hand_back, show=False),
            t("other_payment", N.RELEASED, N.PAID_OTHERWISE, before=self.record_payment),
            t("cancel", N.RELEASED, N.CANCELLED),
            # The customer has left; the case waits for the reversal.
            t("reversal_acknowledged", [N.AWAITING_REVERSAL, N.ESCALATED], N.RESOLVED, before=self._tell_released),
            t("reversal_failed", N.AWAITING_REVERSAL, N.ESCALATED, conditions=self.ctx.last_attempt,
              before=self._count_failure),
            t("reversal_failed", [N.AWAITING_REVERSAL, N.ESCALATED], None, before=self._count_failure),
            t("reversal_refused", [N.AWAITING_REVERSAL, N.ESCALATED], N.CHARGE_STANDS,
              before=self._escalate_charge_stands),
        ]

    def trigger_for(self, event: Any) -> str | None:
        ctx = self.ctx
        match event:
            case LinkDown():
                return "link_down"
            case LinkUp():
                return "link_up"
            case HandOver(flow="network_drop", reason=HandOverReason.NOTHING_CHARGED):
                return "nothing_charged"
            case HandOver(flow="network_drop", reason=HandOverReason.OUTCOME_UNKNOWN):
                return "outcome_unknown"
            case RequestSent(sale_id=sale_id) if ctx.names_sale(sale_id):
                return "request_sent"
            case CardRead():
                return "card_read"
            case ReversalAcknowledged(sale_id=sale_id, stan=stan) if ctx.names_sale(sale_id, stan):
                return "reversal_acknowledged"
            case ReversalFailed(sale_id=sale_id, stan=stan) if ctx.names_sale(sale_id, stan):
                return "reversal_failed"
            case ReversalRefused(sale_id=sale_id, stan=stan) if ctx.names_sale(sale_id, stan):
                return "reversal_refused"
            case TimerFired(name=name) if name == self._steady_timer:
                return "link_steady"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        N = NetworkDropState
        if self.state in (N.CARD_PAUSED, N.LINK_BACK):  # one screen for the whole outage, flaps and all
            return ShowPrompt("network.card_paused", {"cause": self.ctx.link_down_cause})
        if self.state is N.CARD_RESUMED:
            return ShowPrompt("network.card_resumed")
        prompt_id = _SCREENS.get(self.state)
        if prompt_id is None:
            return None
        facts = prompt_facts(self.sale)
        if self.state is N.ESCALATED:
            facts["failures"] = self.ctx.reversal_failures
        return ShowPrompt(prompt_id, facts)

    # -- callbacks -------------------------------------------------------------------------------------

    @property
    def _steady_timer(self) -> str:
        return f"{self.flow_id}:link_steady"

    def _pause(self, event: LinkDown) -> None:
        self._note_cause(event)
        self.emit(PauseCardPayments(event.reason))

    def _note_cause(self, event: LinkDown) -> None:
        self.ctx.link_down_reason = event.reason
        self.ctx.link_down_cause = event.cause if event.cause in LINK_DOWN_CAUSES else "down"

    def _watch_steady(self, _: LinkUp) -> None:
        self.emit(StartTimer(self._steady_timer, self.ctx.steady_for))

    def _stop_watching(self, _: LinkDown) -> None:
        self.emit(CancelTimer(self._steady_timer))

    def _resume(self, _: TimerFired) -> None:
        self.emit(ResumeCardPayments())

    def _hand_back(self, _: CashierAction) -> None:
        self.emit(HandOver("sale", HandOverReason.RETRY, self.sale))

    def _note_sent(self, event: RequestSent) -> None:
        self.ctx.sale = dataclasses.replace(self.sale, stan=event.stan, sent_at=event.at)

    def _reverse(self, _: Any) -> None:
        """The one place a reversal is queued: on entering OUTCOME_UNKNOWN, which happens once per flow."""
        sale = self.sale
        assert sale.stan is not None  # an unknown outcome is always of a request that left, with its STAN
        self.emit(QueueReversal(sale.sale_id, sale.stan, sale.amount))

    def _capture_contact(self, _: CashierAction) -> None:
        self.capture_contact("hold_release")

    def _note_released(self, _: ReversalAcknowledged) -> None:
        self.ctx.reversal_acknowledged = True

    def _count_failure(self, _: ReversalFailed) -> None:
        self.ctx.reversal_failures += 1
        if self.ctx.reversal_failures == self.ctx.max_reversal_failures:
            self.emit(EscalateToManager(self.flow_id, "reversal_failing", self.sale, self.ctx.reversal_failures))

    def _note_refused(self, _: ReversalRefused) -> None:
        self.ctx.reversal_refused = True

    def _charge_stands_at_counter(self, event: ReversalRefused) -> None:
        """No case is open yet: it opens now, for the manager, with no contact; details the customer
        leaves later still join it."""
        sale = self.sale
        self.emit(OpenCase(self.flow_id, self.name, (sale.sale_id,), sale.amount, sale.masked))
        self._escalate_charge_stands(event)

    def _escalate_charge_stands(self, _: Any) -> None:
        self.ctx.reversal_refused = True
        self.emit(EscalateToManager(self.flow_id, CHARGE_STANDS_REASON, self.sale, self.ctx.reversal_failures))

    def _tell_released(self, _: Any) -> None:
        self.emit(Notify(self.flow_id, HOLD_RELEASED_TEMPLATE), ResolveCase(self.flow_id, "hold_released"))
