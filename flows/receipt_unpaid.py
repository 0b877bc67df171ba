"""刷小票不付款: a receipt exists for a sale that may not have been paid — verify, cancel it, ask for payment.

The facts come first. What the journal says is not enough on its own (an approval may have been taken
back by the acquirer's switch; a request that went unanswered may have charged), so unless no request
ever left, the acquirer is asked whether the charge stands (0600 inquiry). If it does, the customer
paid after all: the matter closes with a note and nobody is asked for anything. If it does not, the
receipt is cancelled on paper — a 未付款 / NOT PAID slip carrying the case number — and the cashier
explains, apologises and offers ways to pay. A customer who cannot pay now leaves contact details and
the case follows up; a later card payment is a new sale that settles the case when it is approved.

While the acquirer cannot be asked, nothing is decided: the customer is never asked to pay for something
that may already be paid. An inquiry moves no money, so an unanswered one is simply asked again.

Contract with the agent: `InquireCharge` is answered by `RequestSent` (sale id and the inquiry's own
STAN) or by `LinkDown`; the answer is a `HostResponse` with that STAN: 00 the charge stands, 25 there is
no charge, anything else unclear.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import (
    CancelTimer,
    HandOver,
    HandOverReason,
    InquireCharge,
    Notify,
    OpenCase,
    Print,
    ResolveCase,
    SaleFacts,
    ShowPrompt,
    StartTimer,
)
from domain.events import CashierAction, HostResponse, LinkDown, ReceiptUnpaidReported, RequestSent, TimerFired
from domain.ids import Stan
from flows.base import Flow, FlowContext, prompt_facts

CHARGE_STANDS = "00"
NO_CHARGE = "25"  # no such record: never arrived, declined, reversed or voided


class ReceiptUnpaidState(enum.Enum):
    IDLE = "idle"
    VERIFYING = "verifying"  # the inquiry is handed to the agent
    AWAITING_ANSWER = "awaiting_answer"  # the inquiry is on the wire
    UNVERIFIED = "unverified"  # the acquirer could not be asked: nothing is decided
    UNPAID = "unpaid"  # not paid: the receipt is cancelled on paper, payment is asked for politely
    CAPTURING_CONTACT = "capturing_contact"
    CASE_OPENED = "case_opened"  # the customer left; the case follows up
    PAID_OTHERWISE = "paid_otherwise"
    HANDED_OVER = "handed_over"  # paying by card, as a new sale that settles the case
    PAID_AFTER_ALL = "paid_after_all"  # the acquirer holds the charge: the receipt was right


_SCREENS = {
    ReceiptUnpaidState.VERIFYING: "receipt_unpaid.verifying",
    ReceiptUnpaidState.AWAITING_ANSWER: "receipt_unpaid.verifying",
    ReceiptUnpaidState.UNVERIFIED: "receipt_unpaid.unverified",
    ReceiptUnpaidState.UNPAID: "receipt_unpaid.unpaid",
    ReceiptUnpaidState.CASE_OPENED: "receipt_unpaid.case_opened",
    ReceiptUnpaidState.PAID_OTHERWISE: "payment.recorded",
    ReceiptUnpaidState.PAID_AFTER_ALL: "receipt_unpaid.paid_after_all",
}


@dataclasses.dataclass
class ReceiptUnpaidContext(FlowContext):
    auth_timeout: float = 30.0
    receipt_id: str | None = None  # the receipt the customer holds, which the slip cancels
    on_record: str | None = None  # what the journal said when it was reported (events.ON_RECORD)
    inquiry_stan: str | None = None  # the STAN of the inquiry on the wire
    unpaid: bool = False  # the acquirer confirmed there is no charge (or no request ever left)

    def asking(self, event: HostResponse) -> bool:
        return self.inquiry_stan is not None and event.stan == Stan.parse(self.inquiry_stan)

    def nothing_left(self, event: ReceiptUnpaidReported) -> bool:
        """No request ever left for this sale: the journal alone proves nothing was charged."""
        return event.sale.stan is None

    def being_reversed(self, _: Any) -> bool:
        """The charge stands for now, but a reversal of it is queued or done: it will not be paid by it."""
        return self.on_record == "reversed"


class ReceiptUnpaidFlow(Flow):
    name = "receipt_unpaid"
    State = ReceiptUnpaidState
    Context = ReceiptUnpaidContext
    ACTIONS = frozenset({"check_again", "other_payment", "another_card", "customer_leaves", "contact_saved",
                         "contact_declined"})

    ctx: ReceiptUnpaidContext

    def transitions(self) -> list[dict[str, Any]]:
        R = ReceiptUnpaidState
        t = self.transition
        ctx = self.ctx
        return [
            t("reported", R.IDLE, R.UNPAID, conditions=ctx.nothing_left, before=[self._adopt, self._unpaid]),
            t("reported", R.IDLE, R.VERIFYING, before=[self._adopt, self._inquire]),
            t("request_sent", R.VERIFYING, R.AWAITING_ANSWER, before=self._start_waiting, show=False),
            t("link_down", R.VERIFYING, R.UNVERIFIED),
            t("charge_stands", R.AWAITING_ANSWER, R.UNPAID, conditions=ctx.being_reversed,
              before=[self._stop_waiting, self._unpaid]),
            t("charge_stands", R.AWAITING_ANSWER, R.PAID_AFTER_ALL, before=[self._stop_waiting, self._paid_after_all]),
            t("no_charge", R.AWAITING_ANSWER, R.UNPAID, before=[self._stop_waiting, self._unpaid]),
            t("unclear", R.AWAITING_ANSWER, R.UNVERIFIED, before=self._stop_waiting),
            t("link_down", R.AWAITING_ANSWER, R.UNVERIFIED, before=self._stop_waiting),
            t("timed_out", R.AWAITING_ANSWER, R.UNVERIFIED, before=self._forget_inquiry),
            t("check_again", R.UNVERIFIED, R.VERIFYING, before=self._inquire),
            t("other_payment", R.UNPAID, R.PAID_OTHERWISE, before=[self.record_payment, self._paid_otherwise]),
            t("another_card", R.UNPAID, R.HANDED_OVER, before=self._pay_by_card, show=False),
            t("customer_leaves", [R.UNPAID, R.UNVERIFIED], R.CAPTURING_CONTACT, before=self._capture_contact),
            t("contact_saved", R.CAPTURING_CONTACT, R.CASE_OPENED, before=self._open_case),
            t("contact_declined", R.CAPTURING_CONTACT, R.CASE_OPENED, before=self._open_case),
        ]

    def trigger_for(self, event: Any) -> str | None:
        ctx = self.ctx
        match event:
            case ReceiptUnpaidReported():
                return "reported"
            case RequestSent(sale_id=sale_id) if ctx.names_sale(sale_id) and ctx.inquiry_stan is None:
                return "request_sent"
            case HostResponse() if ctx.asking(event):
                return {CHARGE_STANDS: "charge_stands", NO_CHARGE: "no_charge"}.get(event.response_code, "unclear")
            case LinkDown():
                return "link_down"
            case TimerFired(name=name) if name == self._timer:
                return "timed_out"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        prompt_id = _SCREENS.get(self.state)
        if self.state is ReceiptUnpaidState.CAPTURING_CONTACT:
            prompt_id = "receipt_unpaid.contact" if self.ctx.unpaid else "receipt_unpaid.contact_unverified"
        if prompt_id is None:
            return None
        return ShowPrompt(prompt_id, prompt_facts(self.sale, receipt=self.ctx.receipt_id, case=self.flow_id))

    @property
    def _timer(self) -> str:
        return f"{self.flow_id}.inquiry_response"

    # -- callbacks -------------------------------------------------------------------------------------

    def _adopt(self, event: ReceiptUnpaidReported) -> None:
        self.ctx.sale = event.sale
        self.ctx.receipt_id = event.receipt_id
        self.ctx.on_record = event.on_record

    def _inquire(self, _: Any) -> None:
        assert self.sale.stan is not None, "only a sale whose request left is asked about"
        self.ctx.inquiry_stan = None
        self.emit(InquireCharge(self.sale.sale_id, self.sale.stan))

    def _start_waiting(self, event: RequestSent) -> None:
        self.ctx.inquiry_stan = str(event.stan)
        self.emit(StartTimer(self._timer, self.ctx.auth_timeout))

    def _stop_waiting(self, _: Any) -> None:
        self.ctx.inquiry_stan = None
        self.emit(CancelTimer(self._timer))

    def _forget_inquiry(self, _: TimerFired) -> None:
        self.ctx.inquiry_stan = None  # an answer after this is journaled by the link and heard by no one

    def _case(self, contact_id: str | None = None) -> OpenCase:
        return OpenCase(self.flow_id, self.name, (self.sale.sale_id,), self.sale.amount, self.sale.masked, contact_id)

    def _unpaid(self, _: Any) -> None:
        """Cancel the receipt on paper, under a case whose number the slip carries."""
        self.ctx.unpaid = True
        sale = self.sale
        self.emit(self._case(), Print(f"{self.flow_id}-not-paid", {
            "type": "not_paid", "case_id": self.flow_id, "receipt_id": self.ctx.receipt_id,
            "sale_id": sale.sale_id, "amount": sale.amount.to_json(),
            "masked": None if sale.masked is None else str(sale.masked),
            "stan": None if sale.stan is None else str(sale.stan),
            "time": None if sale.sent_at is None else sale.sent_at.isoformat()}))

    def _paid_after_all(self, event: HostResponse) -> None:
        rrn = f", RRN {event.rrn}" if event.rrn else ""
        self.emit(self._case(), ResolveCase(
            self.flow_id, "paid_after_all",
            f"the acquirer confirms the charge of {self.sale.amount} (STAN {self.sale.stan}{rrn}) stands; "
            f"journal said: {self.ctx.on_record}"))

    def _paid_otherwise(self, event: CashierAction) -> None:
        self.emit(ResolveCase(self.flow_id, "paid_otherwise", f"paid at the counter: {event.data['method']}"))

    def _pay_by_card(self, _: CashierAction) -> None:
        sale = SaleFacts(f"{self.sale.sale_id}-pay", self.sale.amount, settles=self.flow_id)
        self.emit(HandOver("sale", HandOverReason.PAY_UNPAID, sale))

    def _capture_contact(self, _: CashierAction) -> None:
        self.capture_contact("payment_request" if self.ctx.unpaid else "verification")

    def _open_case(self, event: CashierAction) -> None:
        if not self.ctx.unpaid:  # unverified: the contact slip gives the customer the case and our phone
            self.open_case(event)
            return
        self.open_case(event, slip=False)  # the NOT PAID slip already carries both
        self.emit(Notify(self.flow_id, "receipt_unpaid.payment_requested"))
