"""The sale: amount entered → wait for a card → authorize → print → done, or hand over on any fault.

The sale flow never retries anything itself. Once a request may have left the terminal, the only ways
out are the host's answer (approved: print; refused: `declined`) or a hand-over to `network_drop` with
the outcome unknown, which reverses it. That is how money rule 1 (never charge twice) holds here.

The card itself stays in the agent's memory: this flow keeps only its masked number, expiry and keyed
hash, so its saved state can be journaled.

Contract with the agent: every `SendAuthorization` is answered by `RequestSent` (journaled, about to go
on the wire) or by `LinkDown` (it never left). Timers are named after the flow id.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from domain.effects import (
    CancelTimer,
    HandOver,
    HandOverReason,
    Notify,
    Print,
    ResolveCase,
    SaleFacts,
    SendAuthorization,
    ShowPrompt,
    StartTimer,
)
from domain.events import (
    AmountEntered,
    CardRead,
    CashierAction,
    HostResponse,
    LinkDown,
    ReadError,
    RequestSent,
    TimerFired,
)
from flows.base import Flow, FlowContext, prompt_facts

APPROVED = "00"


class SaleState(enum.Enum):
    IDLE = "idle"
    WAITING_CARD = "waiting_card"
    AUTHORIZING = "authorizing"  # handed to the agent; not on the wire yet, so nothing can be charged
    AWAITING_RESPONSE = "awaiting_response"  # on the wire: from here on it may have charged
    APPROVED = "approved"
    CANCELLED = "cancelled"
    HANDED_OVER = "handed_over"


@dataclasses.dataclass
class SaleContext(FlowContext):
    auth_timeout: float = 30.0  # seconds to wait for the host's answer before the outcome is unknown
    read_error: str | None = None  # the check the last read failed (a ReadCheck value), until a card reads
    auth_code: str | None = None
    rrn: str | None = None


class SaleFlow(Flow):
    name = "sale"
    State = SaleState
    Context = SaleContext
    ACTIONS = frozenset({"cancel"})

    ctx: SaleContext

    def transitions(self) -> list[dict[str, Any]]:
        S = SaleState
        t = self.transition
        return [
            t("amount_entered", S.IDLE, S.WAITING_CARD, before=self._open),
            t("taken_over", S.IDLE, S.WAITING_CARD, before=self._take_over),
            t("card_read", S.WAITING_CARD, S.AUTHORIZING, before=self._authorize),
            t("read_error", S.WAITING_CARD, S.WAITING_CARD, before=self._note_read_error),
            t("cancel", S.WAITING_CARD, S.CANCELLED),
            t("link_down", [S.WAITING_CARD, S.AUTHORIZING], S.HANDED_OVER, before=self._nothing_charged,
              show=False),
            # Same screen as AUTHORIZING: the cashier sees no change when the bytes leave.
            t("request_sent", S.AUTHORIZING, S.AWAITING_RESPONSE, before=self._start_waiting, show=False),
            t("approved", S.AWAITING_RESPONSE, S.APPROVED, before=[self._stop_waiting, self._print_receipt]),
            t("declined", S.AWAITING_RESPONSE, S.HANDED_OVER, before=[self._stop_waiting, self._declined],
              show=False),
            t("link_down", S.AWAITING_RESPONSE, S.HANDED_OVER, before=[self._stop_waiting, self._outcome_unknown],
              show=False),
            t("timed_out", S.AWAITING_RESPONSE, S.HANDED_OVER, before=self._outcome_unknown, show=False),
        ]

    def trigger_for(self, event: Any) -> str | None:
        match event:
            case AmountEntered():
                return "amount_entered"
            case HandOver(flow="sale"):
                return "taken_over"
            case CardRead():
                return "card_read"
            case ReadError():
                return "read_error"
            case LinkDown():
                return "link_down"
            case RequestSent(sale_id=sale_id) if self.ctx.names_sale(sale_id):
                return "request_sent"
            case HostResponse(stan=stan) if self.ctx.sale is not None and stan == self.ctx.sale.stan:
                return "approved" if event.response_code == APPROVED else "declined"
            case TimerFired(name=name) if name == self._timer:
                return "timed_out"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        S = SaleState
        match self.state:
            case S.WAITING_CARD if self.ctx.read_error:
                return ShowPrompt(f"sale.read_error.{self.ctx.read_error}", prompt_facts(self.sale))
            case S.WAITING_CARD:
                return ShowPrompt("sale.present_card", prompt_facts(self.sale))
            case S.AUTHORIZING | S.AWAITING_RESPONSE:
                return ShowPrompt("sale.authorizing", prompt_facts(self.sale))
            case S.APPROVED:
                return ShowPrompt("sale.approved", prompt_facts(self.sale, auth_code=self.ctx.auth_code or "-"))
            case S.CANCELLED:
                return ShowPrompt("sale.cancelled", prompt_facts(self.sale))
        return None

    @property
    def _timer(self) -> str:
        return f"{self.flow_id}.auth_response"

    # -- callbacks -------------------------------------------------------------------------------------

    def _open(self, event: AmountEntered) -> None:
        self.ctx.sale = SaleFacts(event.sale_id, event.amount)

    def _take_over(self, event: HandOver) -> None:
        """Another card, or the same one again: only the sale's id, amount and the case it pays carry over."""
        self.ctx.sale = SaleFacts(event.sale.sale_id, event.sale.amount, settles=event.sale.settles)

    def _authorize(self, event: CardRead) -> None:
        card = event.card
        self.ctx.sale = dataclasses.replace(self.sale, masked=card.masked, expiry=card.expiry,
                                            card_hash=event.card_hash)
        self.ctx.read_error = None
        self.emit(SendAuthorization(self.sale.sale_id, self.sale.amount))

    def _note_read_error(self, event: ReadError) -> None:
        self.ctx.read_error = event.check.value

    def _nothing_charged(self, _: LinkDown) -> None:
        self.emit(HandOver("network_drop", HandOverReason.NOTHING_CHARGED, self.sale))

    def _start_waiting(self, event: RequestSent) -> None:
        self.ctx.sale = dataclasses.replace(self.sale, stan=event.stan, sent_at=event.at)
        self.emit(StartTimer(self._timer, self.ctx.auth_timeout))

    def _stop_waiting(self, _: Any) -> None:
        self.emit(CancelTimer(self._timer))

    def _print_receipt(self, event: HostResponse) -> None:
        sale = self.ctx.sale = dataclasses.replace(self.sale, response_code=event.response_code)
        self.ctx.auth_code = event.auth_code
        self.ctx.rrn = None if event.rrn is None else str(event.rrn)
        assert sale.sent_at is not None  # set with the STAN when the request left
        document = {
            "type": "sale",
            "status": "approved",
            "sale_id": sale.sale_id,
            "amount": sale.amount.to_json(),
            "masked": str(sale.masked),
            "auth_code": self.ctx.auth_code,
            "rrn": self.ctx.rrn,
            "stan": str(sale.stan),
            "time": sale.sent_at.isoformat(),
        }
        self.emit(Print(f"{sale.sale_id}-{sale.stan}", document))
        if sale.settles is not None:  # this sale pays an unpaid receipt: its case is settled
            self.emit(ResolveCase(sale.settles, "paid_by_card", f"paid by card: sale {sale.sale_id}, STAN {sale.stan}"),
                      Notify(sale.settles, "receipt_unpaid.paid_later"))

    def _declined(self, event: HostResponse) -> None:
        self.ctx.sale = dataclasses.replace(self.sale, response_code=event.response_code)
        self.emit(HandOver("declined", HandOverReason.DECLINED, self.sale))

    def _outcome_unknown(self, _: Any) -> None:
        self.emit(HandOver("network_drop", HandOverReason.OUTCOME_UNKNOWN, self.sale))
