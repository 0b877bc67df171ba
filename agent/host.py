"""The agent's acquirer link: the ISO 8583 client with everything it says and hears journaled, and the
store-and-forward worker that sends queued reversals until the acquirer acknowledges them.

Write before the wire: an authorization and each reversal attempt are journaled (card number masked,
track data dropped) inside the client's `before_send`, so the bytes leave only after the commit.
Answers that fit no waiting request — late, duplicate, unmatched, malformed — are journaled and never
applied to any sale. A duplicate is passed on all the same: one that refuses what was approved and
printed puts that receipt in doubt.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from agent.config import HostSettings
from agent.journal import Journal
from agent.saf import SafQueue
from domain.clock import Clock
from domain.events import (
    LINK_DOWN_CAUSES,
    LinkDown,
    LinkUp,
    ReversalAcknowledged,
    ReversalFailed,
    ReversalRefused,
    record,
)
from domain.ids import Stan
from domain.money import Money
from drivers.errors import LocalProtocolError, RemoteProtocolError
from drivers.host import link as hostlink
from drivers.host.client import HostClient
from drivers.host.codec import spec_named
from drivers.host.messages import Terminal, journal_safe, parse_response, reversal

SAF_TAG = "saf:"
SAF_BACKOFF = (2.0, 5.0, 10.0, 30.0, 60.0)  # seconds between reversal attempts; the last repeats
# 0410 codes that end a reversal: done (00), or the acquirer has no such authorization to release (25).
REVERSAL_DONE = frozenset({"00", "25"})
# 0410 codes that end it the other way: the acquirer will never reverse this original — 12, invalid
# transaction, is its answer for one it has already settled. The charge stands; resending is pointless.
# Anything else (96 system malfunction, …) means nothing was released yet: the reversal stays queued.
REVERSAL_REFUSED = frozenset({"12"})
_QUIET = (hostlink.LinkAlive,)  # every few seconds; the link's state changes are journaled instead
# Why the link is down, as the cashier's screen names it (domain.events.LINK_DOWN_CAUSES): all but "down",
# which says only that nothing more is known.
DOWN_CAUSES = tuple(cause for cause in LINK_DOWN_CAUSES if cause != "down")


def last_stan(journal: Journal) -> int:
    """The STAN of the newest fresh request on record, so numbering continues across restarts. A repeat
    (0401) carries its first attempt's older STAN and says nothing about where the counter stands."""
    rows = journal.query(
        "SELECT json_extract(payload, '$.request.\"11\"') FROM events "
        "WHERE kind IN ('host_request', 'reversal_attempt') "
        "AND substr(json_extract(payload, '$.request.t'), 4, 1) != '1' ORDER BY seq DESC LIMIT 1")
    return int(rows[0][0]) if rows and rows[0][0] else 0


class HostService:
    def __init__(self, journal: Journal, clock: Clock, settings: HostSettings, *, address: tuple[str, int],
                 on_event: Callable[[Any], None], saf_backoff: tuple[float, ...] = SAF_BACKOFF,
                 backoff: tuple[float, ...] | None = None) -> None:
        self._journal = journal
        self._clock = clock
        self._on_event = on_event
        self.terminal = Terminal(settings.terminal_id, settings.merchant_id, Money(0, settings.currency).numeric_code)
        self.saf = SafQueue(journal, escalate_after=settings.reversal_escalate_after)
        self._saf_backoff = saf_backoff
        self._auth_timeout = settings.auth_timeout
        link = hostlink.HostLink(self.terminal, last_stan=last_stan(journal), spec=spec_named(settings.spec),
                                 auth_timeout=settings.auth_timeout, echo_interval=settings.echo_interval,
                                 echo_deadline=settings.echo_deadline)
        extra = {} if backoff is None else {"backoff": backoff}
        self.client = HostClient(address[0], address[1], clock=clock, link=link, on_event=self._on_host_event,
                                 connect_timeout=settings.connect_timeout, **extra)
        self._saf_wake = asyncio.Event()
        self._saf_result: asyncio.Future[tuple[str, str]] | None = None
        self._stopping = False
        self.round_trip_ms: float | None = None
        self.down_cause: str | None = None  # one of DOWN_CAUSES while the link is down, None while up
        self._was_up = False  # since the link last went down
        self._dead = False  # the link answered badly or not at all on the connection that ended

    @property
    def up(self) -> bool:
        return self.client.up

    async def run(self) -> None:
        saf = asyncio.create_task(self._saf_worker())
        try:
            await self.client.run()
        finally:
            self._stopping = True
            self._saf_wake.set()
            await saf

    def stop(self) -> None:
        self._stopping = True
        self._saf_wake.set()
        self.client.stop()

    def send(self, sale_id: str, fields: dict[str, str]) -> dict[str, str] | None:
        """Journal then send a request for `sale_id`; None when the link is down (nothing left)."""
        if not self.client.up:
            return None
        return self.client.request(
            fields, tag=sale_id, timeout=self._auth_timeout,
            before_send=lambda complete: self._journal.append("host_request", {"request": journal_safe(complete)},
                                                              stream=sale_id))

    def flush_stored(self) -> None:
        """Send the stored reversals now, without waiting out the back-off: end of day waits on them."""
        self._saf_wake.set()

    def queue_reversal(self, sale_id: str, original: dict[str, str], amount: Money) -> str:
        reversal_id = self.saf.enqueue(sale_id, original, amount)
        self._saf_wake.set()
        return reversal_id

    # -- what the link reports ------------------------------------------------------------------

    def _on_host_event(self, event: Any) -> None:
        tag = getattr(event, "tag", None)
        stream = tag.removeprefix(SAF_TAG) if isinstance(tag, str) else None
        if isinstance(event, hostlink.LinkAlive):
            self.round_trip_ms = round(event.round_trip_s * 1000, 1)
        self._note_cause(event)
        if isinstance(event, LinkDown):
            event = dataclasses.replace(event, cause=self.down_cause or "down")
        if not isinstance(event, _QUIET) and tag != hostlink.ECHO_TAG:
            kind, payload = record(event)
            self._journal.append(f"host_{kind}" if not kind.startswith("link") else kind, payload,
                                 stream=self._sale_of(stream))
        if isinstance(tag, str) and tag.startswith(SAF_TAG):
            self._on_saf_event(tag.removeprefix(SAF_TAG), event)
            return
        if isinstance(event, LinkUp):
            self._saf_wake.set()
        if isinstance(event, hostlink.Response):
            try:
                self._on_event(parse_response(event.response))
            except RemoteProtocolError as exc:  # an answer we cannot read leaves the outcome unknown
                self._journal.append("host_unreadable_response", {"tag": tag, "problem": str(exc)}, stream=stream)
                self._on_event(hostlink.RequestUnanswered(event.tag, event.request, f"unreadable answer: {exc}"))
        elif isinstance(event, hostlink.RequestTimedOut | hostlink.RequestUnanswered | hostlink.DuplicateResponse
                        | LinkUp | LinkDown):
            self._on_event(event)  # a duplicate is never applied; the counter checks it against the receipts

    def _note_cause(self, event: Any) -> None:
        """Tell why the link went down from what came before it, never from the words of its reason."""
        if isinstance(event, LinkUp):
            self.down_cause, self._was_up, self._dead = None, True, False
        elif isinstance(event, hostlink.LinkDead):
            self._dead = True
        elif isinstance(event, LinkDown):
            self.down_cause = "unanswered" if self._dead else "lost" if self._was_up else "unreachable"
            self._was_up = self._dead = False

    def _sale_of(self, stream: str | None) -> str | None:
        if stream and stream.startswith("rv-"):
            rows = self._journal.query("SELECT sale_id FROM saf WHERE reversal_id = ?", (stream,))
            return rows[0][0] if rows else None
        return stream

    # -- store and forward -------------------------------------------------------------------------

    def _on_saf_event(self, reversal_id: str, event: Any) -> None:
        waiting = self._saf_result
        if waiting is None or waiting.done():
            return  # an answer after we gave up on that attempt: journaled above, nothing more
        if isinstance(event, hostlink.Response):
            code = event.response.get("39", "")
            if code in REVERSAL_DONE:
                waiting.set_result(("answered", code))
            elif code in REVERSAL_REFUSED:
                waiting.set_result(("refused", code))
            else:
                waiting.set_result(("failed", f"the acquirer refused the reversal with code {code or 'none'}"))
        elif isinstance(event, hostlink.RequestTimedOut):
            waiting.set_result(("failed", "no answer in time"))
        elif isinstance(event, hostlink.RequestUnanswered):
            waiting.set_result(("failed", event.reason))

    async def _saf_worker(self) -> None:
        """One reversal at a time, oldest first, until the acquirer answers each."""
        failures = 0
        while not self._stopping:
            head = self.saf.head()
            if head is None or not self.client.up:
                self._saf_wake.clear()
                await self._saf_wake.wait()
                continue
            repeat_stan = Stan.parse(head.first_stan) if head.first_stan and head.attempts else None
            fields = reversal(head.original, at=self._clock.now(), repeat=head.attempts > 0, stan=repeat_stan)
            self._saf_result = asyncio.get_running_loop().create_future()
            try:
                self.client.request(fields, tag=SAF_TAG + head.reversal_id, timeout=self._auth_timeout,
                                    before_send=lambda sent, h=head: self.saf.record_attempt(h, journal_safe(sent)))
            except LocalProtocolError:  # the link is dead though not yet reported down: wait, don't spin
                self._saf_result = None
                await self._pause(1)
                continue
            outcome, detail = await self._saf_result
            self._saf_result = None
            original_stan = Stan.parse(head.original["11"])
            if outcome == "answered":
                failures = 0
                self.saf.record_acknowledged(head.reversal_id, {"response_code": detail})
                self._on_event(ReversalAcknowledged(head.sale_id, original_stan))
                continue
            if outcome == "refused":
                failures = 0
                self.saf.record_refused(head.reversal_id, detail, f"the acquirer refused the reversal for good "
                                        f"with code {detail}: it had already settled the charge")
                self._on_event(ReversalRefused(head.sale_id, original_stan, detail))
                continue
            failures += 1
            self.saf.record_unanswered(head.reversal_id, detail)
            self._on_event(ReversalFailed(head.sale_id, original_stan, detail))
            await self._pause(failures)

    async def _pause(self, failures: int) -> None:
        """Back off before the next attempt; a link-up, a new reversal or a stop ends the wait early."""
        delay = self._saf_backoff[min(failures, len(self._saf_backoff)) - 1]
        self._saf_wake.clear()
        if self._stopping:
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        waker = asyncio.ensure_future(self._saf_wake.wait())
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        sleeper.cancel()
        waker.cancel()
