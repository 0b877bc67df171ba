"""One checker per field a manager types about a case: each returns the normalised value or raises a
`CaseInputError` naming the field.

Free text goes into the journal in clear, so it must not carry what the journal may only hold masked
or encrypted: card numbers (money rule 4) and the customer's phone number or e-mail (rule 5), which
belong in the encrypted contact record the case already points to.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import phonenumbers

from agent.cases.errors import CaseInputError
from agent.cases.model import OUTCOMES_BY_CHANNEL, RESOLUTIONS
from agent.journal.errors import CardDataRefused
from agent.journal.guard import check_payload

NOTE_MAX = 500
LABEL_MAX = 64
STATES = ("open", "closed")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


def text(field: str, value: Any, *, limit: int, required: bool) -> str | None:
    """The value as one line of text with its spaces collapsed; None if blank and not required."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise CaseInputError(field, f"must be text, not {type(value).__name__}",
                             code="not_text", kind=type(value).__name__)
    cleaned = " ".join(value.split())
    if not cleaned:
        if required:
            raise CaseInputError(field, "is required and was left blank", code="blank")
        return None
    if len(cleaned) > limit:
        raise CaseInputError(field, f"is {len(cleaned)} characters long; at most {limit} are kept",
                             code="too_long", length=len(cleaned), limit=limit)
    try:
        check_payload("case", {field: cleaned})
    except CardDataRefused:
        raise CaseInputError(field, "looks like it holds a card number; card numbers are never written "
                                    "down — refer to the masked card on the case", code="card_number") from None
    return cleaned


def free_text(field: str, value: Any, *, limit: int = NOTE_MAX) -> str | None:
    cleaned = text(field, value, limit=limit, required=False)
    if cleaned is None:
        return None
    if _EMAIL.search(cleaned):
        raise CaseInputError(field, "holds an e-mail address; contact details go in the customer's contact "
                                    "record, which the case already points to, not in a note", code="email")
    if any(True for _ in phonenumbers.PhoneNumberMatcher(cleaned, "CN")):
        raise CaseInputError(field, "holds a phone number; contact details go in the customer's contact "
                                    "record, which the case already points to, not in a note", code="phone")
    return cleaned


def who(value: Any) -> str:
    """The person who acted: a staff name, required, and never a phone number or e-mail address."""
    text("who", value, limit=LABEL_MAX, required=True)
    named = free_text("who", value, limit=LABEL_MAX)
    assert named is not None
    return named


def channel_and_outcome(channel: Any, outcome: Any) -> tuple[str, str]:
    channel = text("channel", channel, limit=LABEL_MAX, required=True)
    if channel not in OUTCOMES_BY_CHANNEL:
        raise CaseInputError("channel", f"{channel!r} is not a channel; use one of {', '.join(OUTCOMES_BY_CHANNEL)}",
                             code="channel_unknown", channel=channel)
    outcome = text("outcome", outcome, limit=LABEL_MAX, required=True)
    allowed = OUTCOMES_BY_CHANNEL[channel]
    if outcome not in allowed:
        raise CaseInputError("outcome", f"{outcome!r} is not an outcome of a {channel} attempt; use one of "
                                        f"{', '.join(allowed)}", code="outcome_unknown",
                             outcome=outcome, channel=channel)
    return channel, outcome


def resolution(value: Any) -> str:
    chosen = text("resolution", value, limit=LABEL_MAX, required=True)
    if chosen not in RESOLUTIONS:
        raise CaseInputError("resolution", f"{chosen!r} is not a resolution; use one of {', '.join(RESOLUTIONS)}",
                             code="resolution_unknown", resolution=chosen)
    return chosen


def state(value: Any) -> str | None:
    if value is not None and value not in STATES:
        raise CaseInputError("state", f"{value!r} is not a case state; use open, closed or None for both",
                             code="state_unknown", state=value)
    return value


def case_type(value: Any, known: tuple[str, ...]) -> str | None:
    if value is not None and value not in known:
        raise CaseInputError("case_type", f"{value!r} is not a case type; known: {', '.join(known)}",
                             code="case_type_unknown", case_type=value)
    return value


def attempt_time(at: Any, opened_at: datetime, now: datetime) -> datetime:
    """When the attempt happened: now, or a time the manager gives for a call made earlier — never in the
    future, and never before the case existed."""
    if at is None:
        return now
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise CaseInputError("at", f"must be a timezone-aware datetime, not {at!r}", code="at_naive")
    if at > now:
        raise CaseInputError("at", f"{at.isoformat()} is in the future; record an attempt once it was made",
                             code="at_future", at=at)
    if at < opened_at:
        raise CaseInputError("at", f"{at.isoformat()} is before the case was opened ({opened_at.isoformat()})",
                             code="at_before_opened", at=at, opened_at=opened_at)
    return at
