"""Domain events: what happened, as the flows hear it.

Drivers turn bytes into these; the agent feeds them to flows and journals them. `record()` gives the
journal-safe form of any event: a card appears in it only masked, never with its PAN.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.card import Card, MaskedPan
from domain.effects import SaleFacts, SettlementTotals
from domain.ids import Rrn, Stan
from domain.money import Money


class EntryMode(enum.Enum):
    SWIPE = "swipe"
    CHIP = "chip"
    TAP = "tap"
    FALLBACK = "fallback"  # swipe after a failed chip read


class ReadCheck(enum.Enum):
    """Which check a read failed: the cashier's prompt and the journal both name it."""

    BAD_READ = "bad_read"  # the reader itself reported an unreadable stripe/chip
    FORMAT = "format"  # the track or payload did not parse
    LUHN = "luhn"
    EXPIRY = "expiry"
    SERVICE_CODE = "service_code"
    TRACK_MISMATCH = "track_mismatch"  # track 1 and track 2 disagree on PAN or expiry


@dataclass(frozen=True)
class CardRead:
    card: Card
    entry_mode: EntryMode
    card_hash: str | None = None  # the keyed hash (hex), set by the agent before a flow hears the read


@dataclass(frozen=True)
class ReadError:
    check: ReadCheck
    detail: str
    masked: MaskedPan | None = None  # when enough of the card was read to show it masked


@dataclass(frozen=True)
class LineNoise:
    """Bytes on a device line that were not part of any valid message: reported, skipped, journaled."""

    detail: str
    byte_count: int = 0


class DeviceState(enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True)
class ReaderStatus:
    state: DeviceState
    detail: str = ""


@dataclass(frozen=True)
class HostResponse:
    stan: Stan
    response_code: str
    rrn: Rrn | None = None
    auth_code: str | None = None


# Why the acquirer link is down, in the words the cashier is given for it: no connection could be made since
# it was last up (unreachable), the bank stopped answering, or answered garbage, on an open connection
# (unanswered), the connection was lost (lost); down when nothing more is known.
LINK_DOWN_CAUSES = ("unreachable", "unanswered", "lost", "down")


@dataclass(frozen=True)
class LinkDown:
    """The link went down. `reason` is the link's own account, in English, for the journal and the log;
    `cause` (one of LINK_DOWN_CAUSES) is what a screen puts into the cashier's language."""

    reason: str
    cause: str = "down"


@dataclass(frozen=True)
class LinkUp:
    round_trip_ms: float | None = None


class PrinterCondition(enum.Enum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_END = "paper_end"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"
    NO_REPLY = "no_reply"  # unknown, never OK


@dataclass(frozen=True)
class PrinterStatus:
    """What DLE EOT said (or that it said nothing). With `receipt_id` it was read for that print job, which
    is held until the fault is fixed; `may_have_printed` says bytes of the receipt had already gone out, so
    any further copy must be marked DUPLICATE. `document` carries the receipt's facts for the prompts."""

    conditions: frozenset[PrinterCondition]
    receipt_id: str | None = None
    may_have_printed: bool = False
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReceiptPrinted:
    """The printer took the whole receipt and answered its status check with nothing wrong."""

    receipt_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class CashierAction:
    action: str
    data: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class TimerFired:
    name: str


@dataclass(frozen=True)
class AmountEntered:
    """The cashier keyed the amount of a new sale: the `sale` flow starts here."""

    sale_id: str
    amount: Money


@dataclass(frozen=True)
class RequestSent:
    """An authorization was journaled and is going out on the wire: from now on it may have charged.

    The agent feeds this before the bytes leave; a `LinkDown` before it means nothing left. `at` is the
    transaction time the request carries (fields 12/13), which the receipt and the recovery prompts show.
    """

    sale_id: str
    stan: Stan
    at: datetime


@dataclass(frozen=True)
class ReversalAcknowledged:
    """The acquirer answered the reversal of the authorization `stan` (0410): any hold is released."""

    sale_id: str
    stan: Stan


@dataclass(frozen=True)
class ReversalRefused:
    """The acquirer will not reverse the authorization `stan`, for good (0410 with 12: it had already
    settled the charge). The charge stands; sending the reversal again would change nothing."""

    sale_id: str
    stan: Stan
    response_code: str


@dataclass(frozen=True)
class ReversalFailed:
    """One attempt to send the reversal of `stan` failed; store-and-forward will try again."""

    sale_id: str
    stan: Stan
    reason: str


# What the journal says of a sale whose receipt is reported unpaid, before the acquirer is asked.
ON_RECORD = ("approved", "contradicted", "reversed", "declined", "unanswered", "not_sent")


@dataclass(frozen=True)
class ReceiptUnpaidReported:
    """A receipt exists for a sale that may not be paid: the cashier says so, or the agent saw the acquirer
    refuse or reverse an approval that a receipt was printed for. `on_record` (one of ON_RECORD) is what
    the journal says of the charge; the acquirer is asked before anyone asks the customer to pay."""

    sale: SaleFacts
    receipt_id: str  # the receipt the customer holds: ours, or the till's number
    on_record: str
    reported_by: str  # "cashier" or "agent"


@dataclass(frozen=True)
class SettlementMissing:
    stan: Stan
    rrn: Rrn | None
    amount: Money
    approved_at: datetime


@dataclass(frozen=True)
class SettlementRequested:
    """End of day: settle the open batch with the acquirer, with the totals the agent counted."""

    totals: SettlementTotals


@dataclass(frozen=True)
class StoredReversalsSent:
    """Store-and-forward is empty: every reversal it held reached the acquirer (`sent` of them just now)."""

    sent: int


@dataclass(frozen=True)
class StoredReversalsStuck:
    """A stored reversal could not be sent (refused, unanswered, link down): `pending` are still queued."""

    pending: int
    reason: str


def to_jsonable(value: Any) -> Any:
    """Turn a domain value into JSON types. A `Card` becomes its masked form: the PAN never leaves."""
    if isinstance(value, Card):
        return {"masked": str(value.masked), "expiry": str(value.expiry), "service_code": value.service_code}
    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, Stan | Rrn | MaskedPan):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(to_jsonable(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def kind_of(value: Any) -> str:
    """'CardRead' → 'card_read': the journal's event kind for a domain event or effect."""
    name = type(value).__name__
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def record(event: Any) -> tuple[str, dict[str, Any]]:
    return kind_of(event), to_jsonable(event)
