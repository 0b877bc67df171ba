"""A case's messages to the customer, as the case screen shows them: one line a draft (what it is, where it
stands, where it goes), the exact text the customer will receive, and what became of a send or of what a
person recorded — in the cashier's language. The message itself is in the customer's language, as drafted.

Pure functions, like `listing`, so the wording is tested without running the app. The relay's or gateway's
own error is the integrator's, in English: it is shown after the outcome in English only, as the card
reader's detail is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from rich.text import Text

from agent.notify import DraftRow, Preview, SendResult
from agent.ui.labels import label, named
from agent.ui.listing import DASH, FULL, one_line, when
from agent.ui.reasons import unreachable
from agent.ui.sanitise import sanitise

Said = Callable[[str], str]  # a line for the screen, in the language given
DRAFT_COLUMNS = ("number", "template", "state", "to")
SENDING = "sending"  # a send under way from this app: not yet a state the journal knows
STATE_STYLES = {"sent": "green", "failed": "red", "refused": "red", "unknown": "bold yellow", SENDING: "yellow"}


@dataclass(frozen=True)
class CaseMessage:
    """One draft for the case's customer: its line in the outbox, and what sending it now would do."""

    row: DraftRow
    preview: Preview

    @property
    def draft_id(self) -> int:
        return self.row.draft_id

    @property
    def state(self) -> str:
        return self.row.state

    @property
    def by_hand(self) -> bool:
        """Nothing can send it: no mail relay or SMS gateway for the channel the customer prefers."""
        return self.preview.channel == "outbox"


def draft_headers(language: str) -> tuple[str, ...]:
    return tuple(label(f"message.{column}", language) for column in DRAFT_COLUMNS)


def draft_cells(message: CaseMessage, language: str, sending: bool) -> tuple[str | Text, ...]:
    row = message.row
    state = SENDING if sending else row.state
    shown = Text(named("message_state", state, language), style=STATE_STYLES.get(state, ""))
    if row.attempts and state in ("failed", "unknown"):
        shown.append(" · " + label("message.tries", language, count=row.attempts))
    if row.channel == "outbox":  # nothing sends it: a person, by the channel the customer prefers
        how = label("message.by_hand_to", language, channel=named("channel", message.preview.preferred, language))
    else:
        how = named("channel", row.channel, language)
    to = f"{how} {one_line(row.to or DASH)}" if row.channel else DASH
    return (str(row.draft_id), named("template", row.template, language), shown, to)


def message_text(message: CaseMessage, language: str, tz: tzinfo | None) -> Text:
    """How it would go now (or why it would not), the e-mail's subject, then the text exactly as drafted."""
    preview, row = message.preview, message.row
    text = Text()
    if preview.refusal is not None:
        text.append(label("message.not_sent", language, reason=unreachable(preview.refusal, language)),
                    style="bold red")
    elif row.state != "sent":
        to = one_line(preview.to or DASH)
        if message.by_hand:
            line = label("message.by_hand", language, channel=named("channel", preview.preferred, language), to=to)
        else:
            line = label("message.by", language, channel=named("channel", preview.channel, language), to=to)
        if row.retry_at is not None:
            line += " · " + label("message.retry_at", language, when=when(row.retry_at, tz, FULL))
        text.append(line, style="bold")
    if preview.subject:
        if text:
            text.append("\n")
        text.append(label("message.subject", language, subject=one_line(preview.subject)))
    if text:
        text.append("\n\n")
    text.append(sanitise(preview.body))
    return text


def said_sent(result: SendResult, tz: tzinfo | None) -> Said:
    """What became of a send: sent, failed (and whether it is tried again), refused, or left for a person."""
    def said(language: str) -> str:
        channel = named("channel", result.channel, language)
        if result.state == "sent":
            return label("message.sent_now", language, draft_id=result.draft_id, channel=channel,
                         to=one_line(result.to or DASH), attempt=result.attempt)
        if result.state == "refused":
            return label("message.refused_now", language, draft_id=result.draft_id,
                         reason=unreachable(result.reason or "no_contact", language))
        if result.state == "outbox":
            return label("message.by_hand", language, channel=channel, to=one_line(result.to or DASH))
        then = label("message.retry_then", language, when=when(result.retry_at, tz, FULL)) \
            if result.retry_at is not None else label("message.given_up", language)
        failed = label("message.failed_now", language, draft_id=result.draft_id, channel=channel,
                       attempt=result.attempt, then=then)
        return f"{failed} — {sanitise(result.error, single_line=True)}" if language == "en" and result.error \
            else failed
    return said


def said_recorded(result: SendResult) -> Said:
    return lambda language: label("message.recorded_now", language, draft_id=result.draft_id,
                                  channel=named("channel", result.channel, language),
                                  outcome=named("outcome", result.outcome, language))


def said_sending(draft_id: int, channel: str | None) -> Said:
    return lambda language: label("message.sending", language, draft_id=draft_id,
                                  channel=named("channel", channel, language))
