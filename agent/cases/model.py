"""What a manager sees of a case, and the closed vocabularies a recorded attempt or closure may use.

The vocabularies are data so the docs, the CLI's help and the error messages list the same words, and
so reports can count outcomes without parsing free text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.money import Money

# Case types the flows open; listed so a filter for a type with no cases yet is not taken for a typo.
CASE_TYPES = ("network_drop", "declined", "printer_fault", "wrong_card", "receipt_unpaid", "unsettled")

# Which outcomes make sense on which channel: nobody "leaves a message" in person, and an e-mail is
# never "not answered" — it is sent, or it fails.
OUTCOMES_BY_CHANNEL: dict[str, tuple[str, ...]] = {
    "phone": ("reached", "no_answer", "busy", "left_message", "wrong_number", "callback_requested",
              "customer_paid", "refused"),
    "sms": ("sent", "failed", "replied", "wrong_number", "customer_paid", "refused"),
    "email": ("sent", "failed", "replied", "customer_paid", "refused"),
    "wechat": ("sent", "failed", "replied", "reached", "no_answer", "left_message", "wrong_number",
               "customer_paid", "refused"),
    "in_person": ("reached", "callback_requested", "customer_paid", "refused"),
    "outbox": ("sent", "failed"),
}
CHANNELS = tuple(OUTCOMES_BY_CHANNEL)
OUTCOMES = tuple(dict.fromkeys(outcome for outcomes in OUTCOMES_BY_CHANNEL.values() for outcome in outcomes))

# How a manager may close a case. The counter's own resolutions (e.g. hold_released) arrive through
# `case_resolved` and are taken as they come.
RESOLUTIONS = ("paid", "paid_otherwise", "hold_released", "voided", "refunded", "settled_late", "repaid",
               "written_off", "unreachable", "no_action_needed")


@dataclass(frozen=True)
class Attempt:
    """One contact with (or try to reach) the customer. `source` is the journal event it came from:
    recorded by hand, or sent by the notifier."""

    at: datetime
    channel: str
    outcome: str
    who: str | None
    template: str | None
    note: str | None
    source: str


@dataclass(frozen=True)
class Escalation:
    at: datetime
    reason: str


@dataclass(frozen=True)
class CaseRow:
    """A line of `recoup cases` or `recoup followups`."""

    case_id: str
    case_type: str
    state: str  # "open" or "closed"
    opened_at: datetime
    amount: Money | None
    masked: str | None
    attempts: int
    last_attempt: Attempt | None
    next_followup: datetime | None  # None once closed
    overdue: bool


@dataclass(frozen=True)
class Case:
    """Everything on record about one case. The contact appears as its id only: its details are
    encrypted in the contact store and shown, masked, only by whoever holds the key."""

    case_id: str
    case_type: str
    state: str
    opened_at: datetime
    sale_ids: tuple[str, ...]
    amount: Money | None
    masked: str | None
    contact_id: str | None
    attempts: tuple[Attempt, ...]
    escalations: tuple[Escalation, ...]
    next_followup: datetime | None
    overdue: bool
    resolution: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_note: str | None
