"""The notifier: takes a draft from the outbox to the customer, or says exactly why it did not.

Nothing goes to anyone without recorded consent: only a held `Contact` was stored with the customer's
consent, so a draft with no contact, a declined answer or purged data is refused, and the refusal is
journaled with its reason. The customer's preferred channel is used unless the cashier picks another;
phone and WeChat are done by a person, so those drafts stay in the outbox until someone records how it
went. Every attempt — by the agent or by a person — is one `notification_sent` or `notification_failed`
event on the case's stream, which the case store counts as a contact attempt.

Write before the wire: a delivery is journaled as under way (`notification_sending`, which the case store
does not count) and committed before the relay or gateway hears of it. If the process stops between the
wire and the outcome, the draft is left `unknown` — it may have reached the customer — and nothing sends
it again unasked: a person checks with the customer and records what happened, or sends it again on purpose.

Retries are driven by the caller's clock and read from the journal (`retry_due`, `next_retry_at`), so a
failure seen by the CLI in one process is retried by whichever process calls `retry_due` next, and a
restart loses no pending retry. Sending is blocking network I/O: call it off the cashier's event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.contacts import Contact, ContactDetails, ContactStore, ContactUnavailable, Declined, Purged
from agent.journal import Event, Journal
from agent.notify.errors import ChannelError, NotifyError
from agent.notify.history import (
    DELIVERED,
    FAILED,
    GAVE_UP,
    REFUSED,
    RETRYING,
    SENDING,
    SENT,
    STATES,
    UNKNOWN,
    Draft,
    History,
    histories,
    history_of,
    read_draft,
)
from agent.notify.message import DEFAULT_LANGUAGE, Message, compose, language_of, masked_address, scrub
from agent.notify.settings import NotifySettings
from agent.notify.sms import SmsChannel
from agent.notify.smtp import EmailChannel
from domain.clock import Clock
from domain.effects import ResolveCase
from domain.events import record

EMAIL, SMS, OUTBOX = "email", "sms", "outbox"
E_RECEIPT = "e_receipt."  # the templates of a receipt sent instead of printed
SEND_CHANNELS = (EMAIL, SMS, OUTBOX)
BY_HAND_CHANNELS = ("phone", "sms", "email", "wechat")
REACHED_OUTCOMES = ("reached", "sent_by_hand", "left_message")
MISSED_OUTCOMES = ("no_answer", "busy", "wrong_number")
# What the customer said of a delivery left unknown: the outcome of that attempt, not a new one.
SETTLED_OUTCOMES = ("received", "not_received")
RECORD_OUTCOMES = REACHED_OUTCOMES + MISSED_OUTCOMES + SETTLED_OUTCOMES
AGENT = "agent"
# Why nobody may be notified (`SendResult.reason`, `Preview.refusal`): said in English for the command line;
# a screen has its own words for each.
UNREACHABLE = {
    "no_contact": "no contact was recorded for this case",
    "unknown_contact": "the contact named by the draft is not in the journal",
    "declined": "the customer declined to leave contact details",
    "purged": "the customer's details were purged when their retention ended",
}


def unknown_refusal(history: History) -> NotifyError:
    """Why a draft left `unknown` is not sent, and the two ways out of it."""
    sending, draft_id = history.last, history.draft.draft_id
    assert sending is not None and sending.kind == SENDING
    fields = sending.payload
    when = sending.at.astimezone().strftime("%Y-%m-%d %H:%M")
    return NotifyError(
        f"draft {draft_id} may have reached the customer: attempt {fields['attempt']} by {fields['channel']} "
        f"to {fields['to']} ({fields['who']}, {when}) was under way and how it ended was never recorded. "
        f"Check with the customer, then record what they say: `recoup outbox record {draft_id} --outcome "
        f"received` (or not_received); or send it again on purpose: `recoup outbox send {draft_id} --again`",
        code="unknown", draft_id=draft_id, attempt=fields["attempt"], channel=fields["channel"], to=fields["to"],
        who=fields["who"], at=sending.at)


@dataclass(frozen=True)
class Preview:
    """What `send` would do now: the exact text, and the channel and masked address it would go to."""

    draft_id: int
    case_id: str
    template: str
    state: str
    channel: str | None  # email, sms or outbox; None when it would be refused
    to: str | None  # masked
    preferred: str | None  # the customer's own choice: phone, sms, email or wechat
    subject: str | None  # for email
    body: str
    refusal: str | None  # why nobody may be notified: one of UNREACHABLE


@dataclass(frozen=True)
class SendResult:
    draft_id: int
    state: str  # sent, failed, refused, or outbox (nothing sent: a person does it)
    channel: str | None
    to: str | None  # masked
    outcome: str | None = None
    attempt: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    reason: str | None = None  # why it was refused


@dataclass(frozen=True)
class DraftRow:
    """One line of `recoup outbox list`."""

    draft_id: int
    case_id: str
    template: str
    drafted_at: datetime
    state: str
    channel: str | None
    to: str | None
    attempts: int
    retry_at: datetime | None


class Notifier:
    def __init__(self, journal: Journal, clock: Clock, contacts: ContactStore, settings: NotifySettings) -> None:
        self._journal = journal
        self._clock = clock
        self._contacts = contacts
        self._settings = settings
        self._email = EmailChannel(settings) if settings.email_enabled else None
        self._sms = SmsChannel(settings) if settings.sms_enabled else None

    # -- looking -----------------------------------------------------------------------------------

    def preview(self, draft_id: int) -> Preview:
        draft = read_draft(self._journal, draft_id)
        known = {"draft_id": draft_id, "case_id": draft.case_id, "template": draft.template,
                 "state": history_of(self._journal, draft).state}
        reached = self._reach(draft)
        if isinstance(reached, str):
            message = compose(draft.template, draft.texts, DEFAULT_LANGUAGE)
            return Preview(**known, channel=None, to=None, preferred=None, subject=None, body=message.body,
                           refusal=reached)
        details = reached.details
        channel = self._route(details)
        message = compose(draft.template, draft.texts, language_of(details))
        return Preview(**known, channel=channel, to=self._to(details, channel), preferred=details.channel.value,
                       subject=message.subject if channel == EMAIL else None, body=message.body, refusal=None)

    def drafts(self) -> list[DraftRow]:
        return [self._row(history) for history in histories(self._journal)]

    def _row(self, history: History) -> DraftRow:
        draft, last = history.draft, history.last
        if last is not None and last.kind != REFUSED:
            channel, to = last.payload["channel"], last.payload["to"]
        elif isinstance(reached := self._reach(draft), str):
            channel, to = None, None
        else:
            channel = self._route(reached.details)
            to = self._to(reached.details, channel)
        return DraftRow(draft.draft_id, draft.case_id, draft.template, draft.drafted_at, history.state, channel,
                        to, history.attempts, history.retry_at(self._settings.retry_backoff))

    def next_retry_at(self) -> datetime | None:
        due = [at for history in histories(self._journal)
               if (at := history.retry_at(self._settings.retry_backoff)) is not None]
        return min(due, default=None)

    # -- sending -----------------------------------------------------------------------------------

    def send(self, draft_id: int, channel: str | None = None, *, who: str = AGENT, again: bool = False) -> SendResult:
        """Send a draft now, by `channel` or the customer's preferred one. A draft already sent is not
        sent again; a failed or refused one may be tried again (its attempt count goes on). A draft whose
        last delivery may have reached the customer (`unknown`) is sent only `again` on purpose."""
        if channel is not None and channel not in SEND_CHANNELS:
            raise NotifyError(f"cannot send by {channel!r}; use one of {', '.join(SEND_CHANNELS)}",
                              code="channel_unknown", channel=channel, choices=SEND_CHANNELS)
        draft = read_draft(self._journal, draft_id)
        history = history_of(self._journal, draft)
        if history.state == "sent":
            assert history.last is not None
            when = history.last.at.astimezone().strftime("%Y-%m-%d %H:%M")
            raise NotifyError(f"draft {draft_id} was already sent ({history.last.payload['channel']}, {when}); "
                              f"a customer is not sent the same message twice", code="already_sent",
                              draft_id=draft_id, channel=history.last.payload["channel"], at=history.last.at)
        if history.state == UNKNOWN and not again:
            raise unknown_refusal(history)
        return self._attempt(draft, history.attempts + 1, channel, who, retrying=False,
                             again=history.state == UNKNOWN)

    def retry_due(self, now: datetime | None = None) -> list[SendResult]:
        """Try again every automatic delivery whose back-off has run out by `now` (default: the clock's)."""
        now = now or self._clock.now()
        results = []
        for history in histories(self._journal):
            due = history.retry_at(self._settings.retry_backoff)
            if due is not None and due <= now:
                assert history.last is not None
                results.append(self._attempt(history.draft, history.attempts + 1, history.last.payload["channel"],
                                             AGENT, retrying=True))
        return results

    def record(self, draft_id: int, outcome: str, *, who: str, channel: str | None = None) -> SendResult:
        """Record what a person did with a draft: called, or sent it by hand; or what the customer said of
        a delivery left unknown (received or not_received). This takes the draft out of automatic
        retries — a person has taken it over."""
        if outcome not in RECORD_OUTCOMES:
            raise NotifyError(f"unknown outcome {outcome!r}; use one of {', '.join(RECORD_OUTCOMES)}",
                              code="outcome_unknown", outcome=outcome, choices=RECORD_OUTCOMES)
        if channel is not None and channel not in BY_HAND_CHANNELS:
            raise NotifyError(f"unknown channel {channel!r}; use one of {', '.join(BY_HAND_CHANNELS)}",
                              code="channel_unknown", channel=channel, choices=BY_HAND_CHANNELS)
        draft = read_draft(self._journal, draft_id)
        history = history_of(self._journal, draft)
        if outcome in SETTLED_OUTCOMES:
            return self._settle(history, outcome, who, channel)
        reached = self._reach(draft)
        if isinstance(reached, str):
            return self._refuse(draft, channel, reached, who)
        channel = channel or reached.details.channel.value
        to = self._to(reached.details, channel)
        if to is None:
            raise NotifyError(f"the customer left no address for {channel}", code="no_address", channel=channel)
        kind = SENT if outcome in REACHED_OUTCOMES else FAILED
        attempt = history.attempts + 1
        with self._journal.transaction():
            self._append(kind, draft, channel=channel, to=to, outcome=outcome, attempt=attempt, who=who)
            if kind == SENT:
                self._delivered(draft, f"{outcome} ({channel}), recorded by {who}")
        return SendResult(draft_id, STATES[kind], channel, to, outcome, attempt)

    def _settle(self, history: History, outcome: str, who: str, channel: str | None) -> SendResult:
        """The outcome of the delivery left unknown, as the customer told it: that attempt's channel,
        address and number. The contact is not needed — nobody is reached by recording it."""
        draft, sending = history.draft, history.last
        if history.state != UNKNOWN or sending is None:
            raise NotifyError(f"draft {draft.draft_id} has no delivery of unknown outcome (it is {history.state}); "
                              f"{outcome} is what the customer said of one", code="not_unknown",
                              draft_id=draft.draft_id, state=history.state, outcome=outcome)
        sent_by = sending.payload["channel"]
        if channel not in (None, sent_by):
            raise NotifyError(f"the delivery left unknown went by {sent_by}, not {channel}", code="other_channel",
                              sent_by=sent_by, channel=channel)
        kind = SENT if outcome == "received" else FAILED
        attempt = sending.payload["attempt"]
        with self._journal.transaction():
            self._append(kind, draft, channel=sent_by, to=sending.payload["to"], outcome=outcome, attempt=attempt,
                         who=who)
            if kind == SENT:
                self._delivered(draft, f"received by {sent_by}, as the customer told {who}")
        return SendResult(draft.draft_id, STATES[kind], sent_by, sending.payload["to"], outcome, attempt)

    def _attempt(self, draft: Draft, attempt: int, channel: str | None, who: str, *, retrying: bool,
                 again: bool = False) -> SendResult:
        reached = self._reach(draft)
        if isinstance(reached, str):
            return self._refuse(draft, channel, reached, who)
        details = reached.details
        channel = channel or self._route(details)
        if channel == OUTBOX:
            return SendResult(draft.draft_id, OUTBOX, OUTBOX, self._to(details, OUTBOX))
        message = compose(draft.template, draft.texts, language_of(details))
        to = self._to(details, channel)
        try:
            address = self._address(channel, details)
        except NotifyError as exc:
            if not retrying:
                raise
            error = ChannelError(str(exc), permanent=True)  # the settings changed since the first try
        else:
            # Write before the wire: committed before the relay or gateway hears of it, so a stop before the
            # outcome leaves a record that the message may have gone.
            self._append(SENDING, draft, channel=channel, to=to, attempt=attempt, who=who, again=again or None)
            error = self._deliver(channel, address, message)
        if error is None:
            with self._journal.transaction():
                self._append(SENT, draft, channel=channel, to=to, outcome=DELIVERED, attempt=attempt, who=who)
                self._delivered(draft, f"sent by {channel}")
            return SendResult(draft.draft_id, "sent", channel, to, DELIVERED, attempt)
        backoff = self._settings.retry_backoff
        final = error.permanent or attempt > len(backoff)
        outcome = GAVE_UP if final else RETRYING
        text = scrub(str(error), details)
        event = self._append(FAILED, draft, channel=channel, to=to, outcome=outcome, attempt=attempt, who=who,
                             error=text)
        retry_at = None if final else event.at + timedelta(seconds=backoff[attempt - 1])
        return SendResult(draft.draft_id, "failed", channel, to, outcome, attempt, text, retry_at)

    def _deliver(self, channel: str, address: str, message: Message) -> ChannelError | None:
        try:
            if channel == EMAIL:
                assert self._email is not None
                self._email.deliver(address, message.subject, message.body, self._clock.now())
            else:
                assert self._sms is not None
                self._sms.deliver(address, message.body)
        except ChannelError as exc:
            return exc
        return None

    def _delivered(self, draft: Draft, how: str) -> None:
        """An e-receipt is the whole of what its case owed the customer: once it reached them, the case is
        done. Other messages tell the customer about a matter that closes on its own terms."""
        if not draft.template.startswith(E_RECEIPT):
            return
        open_case = self._journal.query("SELECT 1 FROM cases WHERE case_id = ? AND state = 'open'", (draft.case_id,))
        if open_case:
            self._journal.append("case_resolved", record(ResolveCase(draft.case_id, "e_receipt_sent",
                                                                     f"e-receipt {how}"))[1],
                                 stream=draft.case_id, at=self._clock.now())

    def _refuse(self, draft: Draft, channel: str | None, reason: str, who: str) -> SendResult:
        self._journal.append(REFUSED, {"draft": draft.draft_id, "case_id": draft.case_id, "template": draft.template,
                                       "channel": channel, "contact_id": draft.contact_id, "reason": reason,
                                       "who": who}, stream=draft.case_id, at=self._clock.now())
        return SendResult(draft.draft_id, "refused", channel, None, reason=reason)

    def _append(self, kind: str, draft: Draft, **fields: Any) -> Event:
        # Exactly the keys the case store reads as a contact attempt, plus the draft they belong to; a
        # delivery under way has no outcome yet, and `again` marks one sent again on purpose.
        payload = {"draft": draft.draft_id, "case_id": draft.case_id, "template": draft.template,
                   "contact_id": draft.contact_id, **{key: value for key, value in fields.items()
                                                      if key not in ("error", "again") or value is not None}}
        return self._journal.append(kind, payload, stream=draft.case_id, at=self._clock.now())

    # -- the customer ------------------------------------------------------------------------------

    def _reach(self, draft: Draft) -> Contact | str:
        """The contact to notify, or why nobody may be notified."""
        if draft.contact_id is None:
            return "no_contact"
        try:
            found = self._contacts.get(draft.contact_id)
        except ContactUnavailable:
            return "unknown_contact"
        if isinstance(found, Declined):
            return "declined"
        if isinstance(found, Purged):
            return "purged"
        return found

    def _route(self, details: ContactDetails) -> str:
        preferred = details.channel.value
        if (preferred == EMAIL and self._email) or (preferred == SMS and self._sms):
            return preferred
        return OUTBOX

    @staticmethod
    def _to(details: ContactDetails, channel: str) -> str | None:
        """The masked address; for the outbox, the one the person doing it will use."""
        return masked_address(details, details.channel.value if channel == OUTBOX else channel)

    def _address(self, channel: str, details: ContactDetails) -> str:
        configured = {EMAIL: self._email, SMS: self._sms}[channel]
        if configured is None:
            keys = "smtp_host and smtp_from" if channel == EMAIL else "sms_url"
            raise NotifyError(f"{channel} is not configured ({keys} in the notify settings)", code="not_configured",
                              channel=channel, keys=keys)
        address = details.email if channel == EMAIL else details.phone
        if address is None:
            raise NotifyError(f"the customer left no {'email address' if channel == EMAIL else 'phone number'}",
                              code="no_address", channel=channel)
        return address
