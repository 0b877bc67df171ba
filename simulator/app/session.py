"""A session at the simulator: the agent's real wiring on the virtual devices, replayed a step at a time.

Whatever the person does — key an amount, present a card, pull the paper, drop the link, move the clock,
press a recovery action, fill in the contact form — becomes a scenario `Step` and goes through the replay
engine (`Replay.step`), exactly as a step read from a file does. So the log says the same as `recoup
replay`, the clock moves only when a step moves it, and the steps that went through can be written down as
a scenario (`dump`) that replays the session headless.

Steps run one at a time, in the order asked for, on a queue: a key pressed while a step is still settling
waits its turn instead of racing it. Loading a scenario is a job on the same queue: it closes this replay
and starts a fresh agent, devices, clock and recording for the scenario, whose steps are then taken one
`next` at a time or all at once.

This module knows nothing of Textual: it tells a `Watcher` what happened, and the app draws it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from agent.flowstore import FINISHED
from agent.station import Station
from domain.effects import ShowPrompt
from simulator.app.expectation import expect_now
from simulator.app.journal_log import entries_after
from simulator.printer.device import PrintedReceipt
from simulator.replay.checks import latest_sale
from simulator.replay.engine import Replay, StepResult
from simulator.replay.scenario import DEFAULT_START, Scenario, dump
from simulator.replay.steps import LAST, ActionStep, ContactStep, RestartStep, SaleStep, Step

STAMP = re.compile(r"^\[\s*[\d.]+\]\s*")
BY_HAND = Scenario(Path("by hand"), "a session driven by hand", ())


class NotRunning(Exception):
    """A step asked for while no replay runs (it broke, or has not started): said, not a new breakage."""


class Watcher(Protocol):
    """Told of everything the session does. Called from inside the agent's work (a prompt is reported in
    the middle of the journal transaction that shows it), so an answer must be quick: note it, post it."""

    def began(self, scenario: Scenario) -> None: ...  # a fresh agent and devices, for this scenario
    def restarted(self) -> None: ...  # the agent started again on its journal (the devices are the same)
    def prompted(self, flow_id: str, flow: str, prompt: ShowPrompt, sale_id: str | None, live: bool) -> None: ...
    def printed(self, receipt: PrintedReceipt) -> None: ...
    def line(self, at: float, source: str, text: str) -> None: ...  # for the event log; at: virtual seconds
    def stepped(self, result: StepResult, index: int | None) -> None: ...  # index: the scenario's step, if it is one
    def done(self) -> None: ...  # a job finished: everything is settled
    def broke(self, problem: str) -> None: ...


class Session:
    def __init__(self, watcher: Watcher, *, record: Path | None = None) -> None:
        self.watcher = watcher
        self.record = record
        self.scenario = BY_HAND
        self.replay: Replay | None = None
        self.cursor = 0  # the index of the scenario's next step
        self.ran: list[tuple[StepResult, int | None]] = []  # every step run, with the scenario's index if it is one
        self.taken: list[Step] = []  # every step that went through, in order: the recording
        self.broken: str | None = None
        self._sales: dict[str, int] = {}  # sale id -> the index in `taken` of the sale step that started it
        self._number = 0  # steps run, as the log numbers them
        self._seq = 0  # the last journal event put in the log
        self._muted = False  # the agent is restarting: its journal is not read until it is up again
        self._station: Station | None = None  # the agent whose prompts are being followed
        self._jobs: asyncio.Queue[Callable[[], Awaitable[object]]] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._pending = 0  # jobs asked for and not done
        self._folder = tempfile.TemporaryDirectory(prefix="recoup-sim-")
        self._sessions = 0

    # -- asked for by the person -------------------------------------------------------------------------

    def open(self, scenario: Scenario | None = None) -> None:
        """Start working: the agent comes up on fresh devices (for `scenario`, or by hand)."""
        self._worker = asyncio.create_task(self._work())
        self.load(scenario or BY_HAND)

    def load(self, scenario: Scenario) -> None:
        self._ask(lambda: self._begin(scenario))

    def submit(self, step: Step) -> None:
        self._ask(lambda: self._step(step))

    def act(self, flow_id: str, action: str, method: str | None = None) -> None:
        """A recovery action pressed on one flow's prompt."""
        self._ask(lambda: self._step(ActionStep(action, self._sale_of(flow_id), method)))

    def contact(self, flow_id: str, details: tuple[tuple[str, str], ...]) -> None:
        """The contact form saved for one flow (no details: the customer declined)."""
        self._ask(lambda: self._step(ContactStep(details, self._sale_of(flow_id))))

    def expect(self) -> None:
        """An expect step of everything as it is when its turn comes."""
        self._ask(lambda: self._step(expect_now(self._replay().station_)))

    def next(self) -> None:
        """The loaded scenario's next step."""
        self._ask(self._next)

    def run_to_end(self) -> None:
        """The loaded scenario's steps from the next one on, until one fails or none is left."""
        self._ask(self._to_end)

    async def idle(self) -> None:
        """Return once every job asked for so far is done."""
        await self._jobs.join()

    @property
    def busy(self) -> bool:
        """Jobs asked for are not all done yet."""
        return self._pending > 0

    def _ask(self, job: Callable[[], Awaitable[object]]) -> None:
        self._pending += 1
        self._jobs.put_nowait(job)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self.replay is not None:
            await self.replay.close()
            self.replay = None
        self._folder.cleanup()

    @property
    def station(self) -> Station | None:
        return self.replay.station if self.replay is not None else None

    @property
    def remaining(self) -> int:
        return len(self.scenario.steps) - self.cursor

    # -- the work ----------------------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except NotRunning as exc:
                self._say("sim", str(exc))
            except Exception as exc:  # the replay itself broke: say how, and keep the app up
                self.broken = f"{type(exc).__name__}: {exc}"
                self.watcher.broke(f"{self.broken}\n{traceback.format_exc(limit=-4)}")
            finally:
                self._follow()
                self._tail()
                self._pending -= 1
                self._jobs.task_done()
                self.watcher.done()

    def _replay(self) -> Replay:
        if self.replay is None or self.broken is not None:
            raise NotRunning(f"not done: the replay is not running ({self.broken or 'not started'}); load a "
                             f"scenario to start afresh")
        return self.replay

    async def _begin(self, scenario: Scenario) -> None:
        if self.replay is not None:
            replay, self.replay, self._station = self.replay, None, None
            await replay.close()
        self.scenario, self.cursor, self.ran, self.broken = scenario, 0, [], None
        self.taken, self._sales, self._number, self._seq = [], {}, 0, 0
        self._sessions += 1
        workdir = Path(self._folder.name) / f"session-{self._sessions}"
        replay = Replay(scenario, workdir)
        replay.listeners.append(lambda text: self._say("step", text))
        replay.prompt_listeners.append(self._prompted)
        self.replay = replay
        self.watcher.began(scenario)
        await replay.start()
        sim = replay.station_.sim
        for line in sim.acquirer.log:  # what the acquirer logged while the agent came up
            self._say("acquirer", STAMP.sub("", line, count=1))
        logged = sim.acquirer.on_log

        def on_log(line: str) -> None:
            logged(line)
            self._say("acquirer", STAMP.sub("", line, count=1))  # the log's own stamp: the same clock's time

        sim.acquirer.on_log = on_log
        sim.reader.observers.append(lambda text: self._say("reader", text))
        sim.printer.observers.append(self._printed)

    async def _step(self, step: Step, index: int | None = None) -> StepResult:
        replay = self._replay()
        self._number += 1
        if isinstance(step, RestartStep):
            # The restart copies the journal as it stands and runs the new agent on the copy: what the old
            # one writes as it dies is in no journal the agent will see again, and is not logged either.
            self._tail()
            self._muted = True
        try:
            result = await replay.step(self._number, step)
        finally:
            self._muted = False
        self.ran.append((result, index))
        if result.ok:
            self._took(step)
        self._tail()
        self.watcher.stepped(result, index)
        return result

    async def _next(self) -> StepResult | None:
        if self.cursor >= len(self.scenario.steps):
            self._say("sim", "no step left to take: load a scenario (its steps then come one at a time)")
            return None
        index = self.cursor
        self.cursor += 1
        return await self._step(self.scenario.steps[index], index)

    async def _to_end(self) -> None:
        result = await self._next()
        while result is not None and result.ok and self.remaining:
            result = await self._next()

    # -- the recording -----------------------------------------------------------------------------------

    def _took(self, step: Step) -> None:
        if isinstance(step, SaleStep):
            sale = latest_sale(self._replay().station_.journal)
            if sale is not None:
                self._sales[sale] = len(self.taken)
        self.taken.append(step)
        self._write()

    def _sale_of(self, flow_id: str) -> str:
        """How a step names the sale of `flow_id` so that the engine picks that very flow: `last` for the
        latest sale (or a flow with no sale), else the name of the sale step that started it — given now,
        in the recording too, if that step had none."""
        station = self._replay().station_
        flow = station.counter.flows.get(flow_id)
        sale = flow.ctx.sale.sale_id if flow is not None and flow.ctx.sale is not None else None
        if sale is None or sale == latest_sale(station.journal) or sale not in self._sales:
            return LAST
        index = self._sales[sale]
        started = self.taken[index]
        assert isinstance(started, SaleStep)
        if started.alias is None:
            used = set(self._replay().aliases) | {getattr(s, "alias", None) for s in self.taken}
            alias = next(f"sale{n}" for n in itertools.count(1) if f"sale{n}" not in used)
            started = self.taken[index] = replace(started, alias=alias)
            self._write()
        assert started.alias is not None
        self._replay().aliases[started.alias] = sale
        return started.alias

    def _write(self) -> None:
        if self.record is None or not self.taken:
            return
        scenario = self.scenario
        about = "Recorded by hand with recoup sim" + (
            f", from {scenario.path}: {scenario.name}" if scenario is not BY_HAND else "") + "."
        text = dump(self.record.stem.replace("-", " ").replace("_", " "), self.taken, about=about,
                    seed=scenario.seed, reader_format=scenario.reader_format)
        if scenario.start.isoformat() != DEFAULT_START:  # dump leaves the default start out, and only it
            text = text.replace("\nsteps:\n", f"\nstart: '{scenario.start.isoformat()}'\nsteps:\n", 1)
        self.record.parent.mkdir(parents=True, exist_ok=True)
        self.record.write_text(text, encoding="utf-8")

    # -- what the agent and the devices say --------------------------------------------------------------

    def _now(self) -> float:
        return self.replay.clock.monotonic() if self.replay is not None else 0.0

    def _say(self, source: str, text: str) -> None:
        self._tail()  # the agent's side first: what it journaled came before what the devices say now
        self.watcher.line(self._now(), source, text)

    def _printed(self, receipt: PrintedReceipt) -> None:
        self._say("printer", f"receipt printed{' (torn)' if receipt.torn else ''}, {len(receipt.data)} bytes")
        self.watcher.printed(receipt)

    def _tail(self) -> None:
        """Put the agent's journal events not yet logged in the log."""
        station = self.station
        if station is None or self._muted:
            return
        start = self.scenario.start
        for entry in entries_after(station.journal, self._seq):
            self._seq = entry.seq
            self.watcher.line((entry.at - start).total_seconds(), "agent", entry.text)

    def _prompted(self, flow_id: str, prompt: ShowPrompt) -> None:
        self._follow()
        self._report(flow_id, prompt)

    def _follow(self) -> None:
        """After a restart, the new agent: the prompts it showed as it resumed its flows, before anything
        could listen, are reported first."""
        station = self.station
        if station is None or station is self._station:
            return
        fresh = self._station is not None
        self._station = station
        if fresh:
            self.watcher.restarted()
        for flow_id, prompt in list(station.counter.screen.prompts.items()):
            self._report(flow_id, prompt)

    def _report(self, flow_id: str, prompt: ShowPrompt) -> None:
        station = self.station
        flow = station.counter.flows.get(flow_id) if station is not None else None
        if flow is None:
            self.watcher.prompted(flow_id, flow_id.rpartition("-")[0], prompt, None, False)
            return
        sale_id = flow.ctx.sale.sale_id if flow.ctx.sale is not None else None
        self.watcher.prompted(flow_id, flow.name, prompt, sale_id, flow.state.name not in FINISHED)
