"""One end of day: the settlement flow driven over an acquirer link, each step journaled.

The flow decides; this carries out its effects. The 0500 is journaled before the wire like every
request (its STAN continues the terminal's), the answer arrives as any answer does, and "send the stored
reversals" wakes store-and-forward and waits until its queue is empty — or until a reversal fails or
the link drops, which the flow hears as stuck. Every prompt shown is journaled, and the outcome is a
`settlement_finished` event that also marks where the next batch starts when it was balanced.

The link is whoever owns it: `recoup settle` opens one of its own for the run (`on_own_link`); the
cashier app settles over the counter's, so that the STAN sequence and the store-and-forward queue stay
one (`agent.settle.at_counter`). Either way the link's owner hands what it hears to `device_event`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.config import HostSettings
from agent.host import HostService
from agent.journal import Journal
from agent.settle.totals import FINISHED, REQUESTED
from domain.clock import Clock, Timer
from domain.effects import CancelTimer, SendSettlement, SendStoredReversals, SettlementTotals, ShowPrompt, StartTimer
from domain.events import (
    HostResponse,
    LinkDown,
    LinkUp,
    RequestSent,
    ReversalAcknowledged,
    ReversalFailed,
    SettlementRequested,
    StoredReversalsSent,
    StoredReversalsStuck,
    TimerFired,
    record,
)
from domain.ids import Stan
from drivers.host.messages import settlement
from flows.settlement import SettlementFlow

# The states the flow ends a run in: the outcome, and what to do next, are on its prompt.
OUTCOMES = frozenset({"BALANCED", "OUT_OF_BALANCE", "UNAVAILABLE", "NO_ANSWER", "STORED_UNSENT"})


def next_flow_id(journal: Journal) -> str:
    (count,), = journal.query("SELECT COUNT(*) FROM events WHERE kind = ?", (REQUESTED,))
    return f"settlement-{count + 1}"


class EndOfDay:
    """The settlement flow on a running acquirer link, for as long as one end of day takes."""

    def __init__(self, journal: Journal, clock: Clock, settings: HostSettings, host: HostService, *,
                 on_prompt: Callable[[ShowPrompt], None] | None = None) -> None:
        self.journal = journal
        self.clock = clock
        self.host = host
        self.flow = SettlementFlow(next_flow_id(journal), response_timeout=settings.auth_timeout)
        self.on_prompt = on_prompt
        self._timers: dict[str, Timer] = {}
        self._queue: deque[Any] = deque()
        self._feeding = False
        self._finished = asyncio.Event()
        self._draining: int | None = None  # reversals acknowledged while store-and-forward is being emptied

    @property
    def outcome(self) -> str:
        return self.flow.state.name

    async def run(self, totals: SettlementTotals) -> str:
        """Settle over the link as it is now; returns the outcome (a state of the flow). A link that is
        down is not waited for: the 0500 is not sent and the outcome says so."""
        try:
            self.journal.append(REQUESTED, {"flow_id": self.flow.flow_id} | record(SettlementRequested(totals))[1],
                                stream=self.flow.flow_id)
            self._feed(SettlementRequested(totals))
            await self._finished.wait()
        finally:
            for timer in self._timers.values():
                timer.cancel()
        return self.outcome

    def device_event(self, event: Any) -> None:
        """What the acquirer link and store-and-forward report, while this end of day runs."""
        if self._draining is not None:
            if isinstance(event, ReversalFailed | LinkDown):
                self._stuck(event.reason)
                return
            if isinstance(event, ReversalAcknowledged):
                self._draining += 1
            self._check_drained()  # emptied, whatever took the last one off the queue
            return
        if isinstance(event, HostResponse | LinkDown):
            self._feed(event)

    # -- the flow --------------------------------------------------------------------------------------

    def _feed(self, event: Any) -> None:
        self._queue.append(event)
        if self._feeding:
            return
        self._feeding = True
        try:
            while self._queue:
                for effect in self.flow.handle(self._queue.popleft()):
                    self._perform(effect)
        finally:
            self._feeding = False
        if self.flow.state.name in OUTCOMES and not self._finished.is_set():
            ctx = self.flow.ctx
            self.journal.append(FINISHED, {"flow_id": self.flow.flow_id, "outcome": self.flow.state.value,
                                           "code": ctx.code, "stored_sent": ctx.stored_sent,
                                           "pending": ctx.pending}, stream=self.flow.flow_id)
            self._finished.set()

    def _perform(self, effect: Any) -> None:
        match effect:
            case SendSettlement(totals=totals):
                self._send(totals)
            case SendStoredReversals():
                self._drain()
            case StartTimer(name=name, seconds=seconds):
                self._cancel(name)
                self._timers[name] = self.clock.call_later(seconds, lambda n=name: self._fired(n))
            case CancelTimer(name=name):
                self._cancel(name)
            case ShowPrompt():
                self.journal.append("prompt_shown", {"flow_id": self.flow.flow_id} | record(effect)[1],
                                    stream=self.flow.flow_id)
                if self.on_prompt is not None:
                    self.on_prompt(effect)

    def _send(self, totals: SettlementTotals) -> None:
        """The 0500, journaled before the wire; the flow hears that it left, or that it could not."""
        at: datetime = self.clock.now().astimezone()
        fields = settlement(at=at, terminal=self.host.terminal, credits_count=totals.refunds,
                            credits_amount=totals.refunds_amount, debits_count=totals.sales,
                            debits_amount=totals.sales_amount)
        sent = self.host.send(self.flow.flow_id, fields)
        if sent is None:
            self.journal.append("settlement_not_sent", {"flow_id": self.flow.flow_id, "reason": "the link is down"},
                                stream=self.flow.flow_id)
            self._feed(LinkDown("the acquirer link is down: the settlement was not sent"))
        else:
            self._feed(RequestSent(self.flow.flow_id, Stan.parse(sent["11"]), at))

    def _drain(self) -> None:
        if not self.host.saf.pending():
            self._feed(StoredReversalsSent(0))
            return
        if not self.host.up:
            self._feed(StoredReversalsStuck(len(self.host.saf.pending()), "the acquirer link is down"))
            return
        self._draining = 0
        self.host.flush_stored()

    def _check_drained(self) -> None:
        assert self._draining is not None
        if not self.host.saf.pending():
            sent, self._draining = self._draining, None
            self._feed(StoredReversalsSent(sent))

    def _stuck(self, reason: str) -> None:
        self._draining = None
        self._feed(StoredReversalsStuck(len(self.host.saf.pending()), reason))

    def _fired(self, name: str) -> None:
        self._timers.pop(name, None)
        self._feed(TimerFired(name))

    def _cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()


async def on_own_link(journal: Journal, clock: Clock, settings: HostSettings, totals: SettlementTotals, *,
                      address: tuple[str, int], on_prompt: Callable[[ShowPrompt], None] | None = None,
                      **link: Any) -> EndOfDay:
    """`recoup settle`, with the agent closed: a link of its own for one end of day — connect, settle,
    disconnect. The link has its connect timeout, twice over, to come up; without it the 0500 is not sent
    and the outcome says so. `link` is passed on to the `HostService` (its back-offs)."""
    known = asyncio.Event()
    end_of_day: EndOfDay | None = None

    def heard(event: Any) -> None:
        if isinstance(event, LinkUp | LinkDown):
            known.set()
        if end_of_day is not None:
            end_of_day.device_event(event)

    host = HostService(journal, clock, settings, address=address, on_event=heard, **link)
    end_of_day = EndOfDay(journal, clock, settings, host, on_prompt=on_prompt)
    running = asyncio.create_task(host.run())
    try:
        waiting = asyncio.ensure_future(known.wait())
        sleeping = asyncio.ensure_future(clock.sleep(2 * settings.connect_timeout))
        await asyncio.wait({waiting, sleeping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        sleeping.cancel()
        await end_of_day.run(totals)
    finally:
        host.stop()
        await running
    return end_of_day
