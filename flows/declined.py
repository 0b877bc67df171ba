"""交易失败·卡/余额: the host answered, and the answer was no.

A refusal is a definitive outcome — nothing was charged — so unlike `network_drop` a card may be tried
again. What the cashier should try depends on why: insufficient funds or an expired card call for
another card, an unavailable issuer or a malfunction for the same card a little later, a format error
for a retry and an alert (the terminal, not the card, is at fault). Each response code has its own
prompt and its own next steps; a code not listed gets the generic ones.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import EscalateToManager, HandOver, HandOverReason, ShowPrompt
from domain.events import CashierAction
from flows.base import Flow, FlowContext, prompt_facts

_ALWAYS = frozenset({"other_payment", "customer_leaves", "cancel"})


@dataclasses.dataclass(frozen=True)
class Reason:
    """A refusal as the cashier meets it: the prompt to show, and the next steps that make sense."""

    prompt_id: str
    next_steps: frozenset[str]
    alert: bool = False  # the manager must hear of it: the fault is ours or the acquirer's, not the card's


ANOTHER_CARD = _ALWAYS | {"another_card"}
RETRY_LATER = _ALWAYS | {"retry_card"}
REASONS: dict[str, Reason] = {
    "51": Reason("declined.insufficient_funds", ANOTHER_CARD),
    "54": Reason("declined.expired_card", ANOTHER_CARD),
    "14": Reason("declined.invalid_card", ANOTHER_CARD),
    "05": Reason("declined.do_not_honour", ANOTHER_CARD),
    "91": Reason("declined.issuer_unavailable", RETRY_LATER),
    "96": Reason("declined.system_malfunction", RETRY_LATER),
    "30": Reason("declined.format_error", RETRY_LATER, alert=True),
}
OTHER = Reason("declined.other", ANOTHER_CARD)


def reason_for(response_code: str | None) -> Reason:
    return REASONS.get(response_code or "", OTHER)


class DeclinedState(enum.Enum):
    IDLE = "idle"
    DECLINED = "declined"
    CAPTURING_CONTACT = "capturing_contact"
    CASE_OPENED = "case_opened"  # the customer left to come back; the case remembers the sale
    PAID_OTHERWISE = "paid_otherwise"
    CANCELLED = "cancelled"
    HANDED_BACK = "handed_back"  # a card is tried again, in a new sale flow


# The screens after the refusal; IDLE and HANDED_BACK have none (nothing yet, or the new sale's).
_SCREENS = {
    DeclinedState.CAPTURING_CONTACT: "declined.contact",
    DeclinedState.CASE_OPENED: "declined.case_opened",
    DeclinedState.PAID_OTHERWISE: "payment.recorded",
    DeclinedState.CANCELLED: "sale.cancelled",
}


@dataclasses.dataclass
class DeclinedContext(FlowContext):
    def offered(self, event: CashierAction) -> bool:
        """Whether the prompt for this refusal offers the action the cashier took."""
        return event.action in reason_for(self.sale.response_code if self.sale else None).next_steps


class DeclinedFlow(Flow):
    name = "declined"
    State = DeclinedState
    Context = DeclinedContext
    ACTIONS = frozenset({"another_card", "retry_card", "other_payment", "customer_leaves", "cancel",
                         "contact_saved", "contact_declined"})

    ctx: DeclinedContext

    def transitions(self) -> list[dict[str, Any]]:
        D = DeclinedState
        t = self.transition
        offered = self.ctx.offered
        return [
            t("declined", D.IDLE, D.DECLINED, before=[self.adopt, self._alert]),
            t("another_card", D.DECLINED, D.HANDED_BACK, conditions=offered, before=self._hand_back, show=False),
            t("retry_card", D.DECLINED, D.HANDED_BACK, conditions=offered, before=self._hand_back, show=False),
            t("other_payment", D.DECLINED, D.PAID_OTHERWISE, conditions=offered, before=self.record_payment),
            t("cancel", D.DECLINED, D.CANCELLED, conditions=offered),
            t("customer_leaves", D.DECLINED, D.CAPTURING_CONTACT, conditions=offered,
              before=self._capture_contact),
            t("contact_saved", D.CAPTURING_CONTACT, D.CASE_OPENED, before=self.open_case),
            t("contact_declined", D.CAPTURING_CONTACT, D.CASE_OPENED, before=self.open_case),
        ]

    def trigger_for(self, event: Any) -> str | None:
        match event:
            case HandOver(flow="declined"):
                return "declined"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        if self.state is DeclinedState.DECLINED:
            prompt_id: str | None = reason_for(self.sale.response_code).prompt_id
        else:
            prompt_id = _SCREENS.get(self.state)
        return None if prompt_id is None else ShowPrompt(prompt_id, prompt_facts(self.sale))

    # -- callbacks -------------------------------------------------------------------------------------

    def _alert(self, _: HandOver) -> None:
        if reason_for(self.sale.response_code).alert:
            self.emit(EscalateToManager(self.flow_id, f"host_response_{self.sale.response_code}", self.sale))

    def _hand_back(self, event: CashierAction) -> None:
        reason = HandOverReason.ANOTHER_CARD if event.action == "another_card" else HandOverReason.RETRY
        self.emit(HandOver("sale", reason, self.sale))

    def _capture_contact(self, _: CashierAction) -> None:
        self.capture_contact("come_back")
