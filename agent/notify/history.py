"""A draft and what has happened to it since, read back from the journal.

The journal is the notifier's only state: a cashier's `recoup outbox send` in one process and the agent's
retries in another agree on what was sent because both read it here, and a restart loses nothing.
A draft is named by the journal sequence number of its `notification_drafted` event.

A delivery is journaled as under way (`notification_sending`) before the relay or gateway is called, and
its outcome after. A draft whose latest event is a delivery under way, with no outcome after it, is
`unknown`: the process stopped while the message was on its way, so it may have reached the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.journal import Event, Journal
from agent.notify.errors import NotifyError
from agent.outbox import DRAFTED

SENDING = "notification_sending"
SENT = "notification_sent"
FAILED = "notification_failed"
REFUSED = "notification_refused"
KINDS = (SENDING, SENT, FAILED, REFUSED)
UNKNOWN = "unknown"
STATES = {SENDING: UNKNOWN, SENT: "sent", FAILED: "failed", REFUSED: "refused"}
# Outcomes of an automatic delivery; people record their own (reached, no_answer, ...).
DELIVERED, RETRYING, GAVE_UP = "sent", "failed", "failed_final"


@dataclass(frozen=True)
class Draft:
    draft_id: int
    case_id: str
    template: str
    contact_id: str | None
    texts: dict[str, str]
    drafted_at: datetime


def _draft(event: Event) -> Draft:
    payload = event.payload
    return Draft(event.seq, payload["case_id"], payload["template"], payload["contact_id"], payload["text"],
                 event.at)


@dataclass(frozen=True)
class History:
    draft: Draft
    events: tuple[Event, ...]

    @property
    def state(self) -> str:
        """drafted, sent, failed, refused or unknown: where the latest attempt left the draft."""
        return STATES[self.events[-1].kind] if self.events else "drafted"

    @property
    def attempts(self) -> int:
        """Attempts begun: a delivery's `sending` and its outcome carry the same number."""
        return max((event.payload["attempt"] for event in self.events if event.kind != REFUSED), default=0)

    @property
    def last(self) -> Event | None:
        return self.events[-1] if self.events else None

    def retry_at(self, backoff: tuple[float, ...]) -> datetime | None:
        """When the next automatic try falls due, if the last one failed and may be tried again."""
        last = self.last
        if last is None or last.kind != FAILED or last.payload["outcome"] != RETRYING:
            return None
        return last.at + timedelta(seconds=backoff[min(last.payload["attempt"], len(backoff)) - 1])


def read_draft(journal: Journal, draft_id: int) -> Draft:
    for event in journal.events(kind=DRAFTED, after=draft_id - 1):
        if event.seq == draft_id:
            return _draft(event)
        break
    raise NotifyError(f"there is no notification draft {draft_id}; `recoup outbox list` shows the drafts",
                      code="no_draft", draft_id=draft_id)


def history_of(journal: Journal, draft: Draft) -> History:
    events = tuple(event for event in journal.events(stream=draft.case_id, after=draft.draft_id)
                   if event.kind in KINDS and event.payload.get("draft") == draft.draft_id)
    return History(draft, events)


def histories(journal: Journal) -> list[History]:
    """Every draft, oldest first, with its attempts: one read per event kind, not one per draft."""
    attempts: dict[int, list[Event]] = {}
    for kind in KINDS:
        for event in journal.events(kind=kind):
            attempts.setdefault(event.payload.get("draft"), []).append(event)
    return [History(draft, tuple(sorted(attempts.get(draft.draft_id, ()), key=lambda event: event.seq)))
            for draft in map(_draft, journal.events(kind=DRAFTED))]
