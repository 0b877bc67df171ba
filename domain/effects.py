"""Effects: what a flow asks the agent to do. Flows return these; only the agent performs them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.card import Expiry, MaskedPan
from domain.ids import Stan
from domain.money import Money


@dataclass(frozen=True)
class SendAuthorization:
    sale_id: str
    amount: Money


@dataclass(frozen=True)
class QueueReversal:
    sale_id: str
    stan: Stan
    amount: Money


@dataclass(frozen=True)
class Print:
    receipt_id: str
    document: dict[str, Any]
    duplicate: bool = False


@dataclass(frozen=True)
class CancelCharge:
    """Take an approved sale's charge back: `void` (020000) in the open batch, or `refund` (200000).
    Money moves, so the agent journals it before the wire and answers `RequestSent` or `LinkDown`."""

    sale_id: str
    stan: Stan  # the original sale's
    amount: Money
    method: str  # "void" or "refund"


@dataclass(frozen=True)
class InquireCharge:
    """Ask the acquirer whether a sale's charge stands (0600 transaction status inquiry). It moves no money,
    but like every request it is journaled before the wire; the agent answers `RequestSent` (the
    inquiry's own STAN) or `LinkDown`, and the acquirer's answer comes as a `HostResponse` with that STAN."""

    sale_id: str
    stan: Stan  # the sale's


@dataclass(frozen=True)
class RetryPrint:
    """Print a held receipt again, now the cashier has fixed the printer. The agent marks the copy
    DUPLICATE when an earlier attempt may have put paper out, so the flow need not know whether one did."""

    receipt_id: str


@dataclass(frozen=True)
class ClosePrintJob:
    """A held receipt will not be printed: the cashier saw it come out whole, or the customer left and
    gets it another way. The job ends on record rather than vanishing."""

    receipt_id: str
    outcome: str  # "confirmed_by_cashier" or "customer_left"


@dataclass(frozen=True)
class ShowPrompt:
    prompt_id: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureContact:
    case_id: str
    reason: str


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    case_type: str
    sale_ids: tuple[str, ...]
    amount: Money | None = None
    masked: MaskedPan | None = None
    contact_id: str | None = None  # the contact the customer left, if any


@dataclass(frozen=True)
class ResolveCase:
    """The matter of an open case is settled: the agent closes it with this resolution."""

    case_id: str
    resolution: str
    note: str | None = None  # what the manager reads beside the resolution


@dataclass(frozen=True)
class Notify:
    case_id: str
    template: str


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class SaleFacts:
    """What is known of one sale, card data at rest included only masked and hashed.

    Carried from one flow to the next and to the manager: the facts a cashier confirms with the customer
    (time, amount, card, trace number) before anyone is contacted.
    """

    sale_id: str
    amount: Money
    masked: MaskedPan | None = None
    expiry: Expiry | None = None
    card_hash: str | None = None
    stan: Stan | None = None
    sent_at: datetime | None = None  # transaction time of the authorization request
    response_code: str | None = None  # the host's answer, when there was one
    settles: str | None = None  # the case this sale pays for (an unpaid receipt), carried to every retry


class HandOverReason(enum.Enum):
    NOTHING_CHARGED = "nothing_charged"  # the request never left: a card payment may be tried again
    OUTCOME_UNKNOWN = "outcome_unknown"  # it left and no answer came: reverse, never retry
    DECLINED = "declined"  # the host answered with a refusal (`SaleFacts.response_code`)
    ANOTHER_CARD = "another_card"  # after a definitive refusal, the customer offers another card
    RETRY = "retry"  # after a definitive "not charged", the same card is tried again
    WRONG_CARD = "wrong_card"  # the cashier reports an approved sale charged to the wrong card
    RIGHT_CARD = "right_card"  # the wrong card's charge was taken back: charge the right one, as a new sale
    PAY_UNPAID = "pay_unpaid"  # a receipt went unpaid: the customer pays by card, as a new sale settling the case


@dataclass(frozen=True)
class HandOver:
    """The flow ends here and the sale continues in flow `flow`, which the agent starts with this effect."""

    flow: str
    reason: HandOverReason
    sale: SaleFacts


@dataclass(frozen=True)
class RecordPayment:
    """The customer paid this sale another way (cash, QR code...): the agent journals it."""

    sale_id: str
    method: str
    amount: Money


@dataclass(frozen=True)
class PauseCardPayments:
    """No card payment may start: the acquirer link is down."""

    reason: str


@dataclass(frozen=True)
class ResumeCardPayments:
    pass


@dataclass(frozen=True)
class EscalateToManager:
    """The counter cannot settle this: the manager gets the facts to take it up with the acquirer."""

    case_id: str
    reason: str
    sale: SaleFacts
    reversal_failures: int = 0


@dataclass(frozen=True)
class SettlementTotals:
    """The open batch as the terminal counts it for settlement (结算). ISO 8583 calls a card acceptor's
    sales debits and its refunds credits; voided and reversed sales are in neither."""

    sales: int
    sales_amount: Money
    refunds: int
    refunds_amount: Money


@dataclass(frozen=True)
class SendSettlement:
    """Send the batch totals to the acquirer (0500). Like every request it is journaled before the wire;
    the agent answers `RequestSent` (the flow's id, the 0500's STAN) or `LinkDown`, and the acquirer's
    0510 comes as a `HostResponse` with that STAN."""

    flow_id: str
    totals: SettlementTotals


@dataclass(frozen=True)
class SendStoredReversals:
    """Send every reversal store-and-forward holds, now, without waiting out its back-off. The agent
    answers `StoredReversalsSent` once the queue is empty, or `StoredReversalsStuck`."""
