"""Replay: a scenario's steps against the agent's real wiring and the virtual devices, on a virtual clock.

The agent is a `Station` — the same reader service, ISO 8583 link with store-and-forward, printer service,
journal and recovery flows that run at a counter — and the devices are the simulator's, on real
transports: the card reader on a pty (loopback TCP on Windows), the printer and the acquirer on loopback
TCP. So a scenario exercises the bytes, the framing, the reconnects and the journal a shop would, and a
scenario that passes here is a statement about the product, not about a test double.

Time is a `VirtualClock` that moves only when a step says so (`advance`, or `expect … within`), straight
to each next timer in turn. Between steps and timers the replay lets everything that is under way finish:
it waits until nothing has happened for a short quiet spell of wall time (the pty and the printer's status
reads run on threads, so "nothing ready on the event loop" is not yet "nothing under way"). Because time
never moves while anything is in flight, a replay takes the same path every run, and a 30 s timeout or a
10-minute outage costs milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agent.config import CardSettings, ContactSettings, JournalSettings, ReaderSettings, Settings, StoreSettings
from agent.contacts import ContactFormError
from agent.notify import Notifier, NotifySettings
from agent.station import Simulated, Station, start_devices
from domain.clock import VirtualClock
from domain.effects import ShowPrompt
from domain.events import CardRead, ReadError
from simulator.mailserver import smtp_server
from simulator.replay import checks
from simulator.replay.devices import DeviceCommandError, printer_command, reader_command
from simulator.replay.scenario import Scenario
from simulator.replay.steps import (
    LAST,
    AcquirerStep,
    ActionStep,
    AdvanceStep,
    ContactStep,
    ExpectStep,
    NotifyStep,
    PrinterStep,
    ReaderStep,
    RestartStep,
    SaleStep,
    Step,
    UnpaidStep,
    WrongCardStep,
)

QUIET = 0.05  # seconds of wall time with nothing happening before the replay takes it that nothing is under way
READY_WAIT = 30.0  # seconds of virtual time for the agent to come up on its devices
READ_WAIT = 5.0  # seconds of wall time for a card presented to cross the serial line to the agent
READS = ("present", "bad")  # reader commands the agent answers with a read (a card, or a read error)
STORE = StoreSettings(name="示例便利店 Replay Store", address="上海市黄浦区南京东路 1 号", phone="021-5555 0000")


class StepFailed(Exception):
    """The step could not be done, or what it expected is not so: said as the QA engineer needs it."""


@dataclass(frozen=True)
class StepResult:
    number: int
    step: Step
    ok: bool
    detail: str  # what happened, or why it failed
    at: float  # virtual seconds since the scenario began, when the step ended


@dataclass
class ScenarioResult:
    scenario: Scenario
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None  # the replay itself broke (a bug, a device that would not start)
    wall: float = 0.0
    virtual: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and len(self.steps) == len(self.scenario.steps) and all(s.ok for s in self.steps)

    @property
    def failure(self) -> str | None:
        if self.error is not None:
            return self.error
        failed = next((s for s in self.steps if not s.ok), None)
        if failed is None:
            return None if self.passed else "stopped before the last step"
        return f"step {failed.number} (line {failed.step.line}) {failed.step.describe()}: {failed.detail}"


class Replay:
    """One scenario being replayed. `start`, then `step` each step (or `run` them all), then `close`."""

    def __init__(self, scenario: Scenario, workdir: Path, *, seed: int | None = None, quiet: float = QUIET) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.seed = scenario.seed if seed is None else seed
        self.quiet = quiet
        self.clock = VirtualClock(scenario.start)
        self.aliases: dict[str, str] = {}
        self.station: Station | None = None
        self.devices: Simulated | None = None
        self.mail: list[str] = []  # the messages the local mail server received
        self.listeners: list[Callable[[str], None]] = []  # told of every step done, as text
        # told of every prompt the agent shows (flow id, prompt), as it shows it: a finished flow's last
        # prompt is gone from the counter's screen by the time the step ends
        self.prompt_listeners: list[Callable[[str, ShowPrompt], None]] = []
        self._task: asyncio.Task | None = None
        self._activity = 0
        self._reads = 0  # card reads and read errors the agent has heard
        self._restarts = 0
        self._settings = Settings(
            reader=ReaderSettings(format=scenario.reader_format), store=STORE,
            journal=JournalSettings(workdir / "journal.sqlite"),
            contacts=ContactSettings(key_file=workdir / "contact.key"),
            cards=CardSettings(hash_key_file=workdir / "card-hash.key"))

    # -- the agent and its devices -----------------------------------------------------------------------

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        # The devices outlive the agent (a restart is the agent's alone), so the replay owns them.
        self.devices = await start_devices(self._settings, self.clock, self.seed)
        await self._open(self.devices)
        sim = self.station_.sim
        sim.acquirer.on_log = self._moved
        sim.reader.observers.append(self._moved)
        sim.printer.observers.append(self._moved)
        await self._ready()

    @property
    def station_(self) -> Station:
        if self.station is None:
            raise RuntimeError("the replay has not started")
        return self.station

    async def _open(self, devices: Simulated) -> None:
        self.station = await Station.open(self._settings, clock=self.clock, devices=devices, on_event=self._moved,
                                          seed=self.seed)
        self.station.counter.on_change = self._moved
        self.station.counter.on_prompt = self._prompted
        self._task = asyncio.create_task(self.station.run())

    async def _ready(self) -> None:
        """Let the agent come up on its devices: it connects at once, or — after a restart, while the old
        connections are still being torn down — after its reconnect back-off, so time may move a little."""
        counter = self.station_.counter
        refusing = self.devices is not None and self.devices.acquirer.refusing  # a link the scenario took down
        deadline = self.clock.monotonic() + READY_WAIT
        while True:
            await self.settle()
            if counter.host is not None and (counter.host.up or refusing) and counter.reader is not None \
                    and counter.reader.session.line.is_open:
                return
            due = self.clock.next_due()
            if due is None or due > deadline:
                raise StepFailed(f"the agent did not come up on its devices within {READY_WAIT:g} s "
                                 f"(link {'up' if counter.host and counter.host.up else 'down'}, reader line "
                                 f"{'open' if counter.reader and counter.reader.session.line.is_open else 'closed'})")
            self.clock.jump()

    def _moved(self, *args: Any) -> None:
        self._activity += 1
        if args and isinstance(args[0], CardRead | ReadError):
            self._reads += 1

    def _prompted(self, flow_id: str, prompt: ShowPrompt) -> None:
        self._moved()
        for listener in self.prompt_listeners:
            listener(flow_id, prompt)

    async def settle(self) -> None:
        """Let everything under way finish without moving virtual time: return once nothing has happened
        for `quiet` seconds of wall time."""
        if self._task is not None and self._task.done():
            self._task.result()  # the agent died: say how
        seen, quiet_since = -1, time.monotonic()
        while True:
            for _ in range(VirtualClock.SETTLE_ROUNDS):
                await asyncio.sleep(0)
            if self._activity != seen:
                seen, quiet_since = self._activity, time.monotonic()
            elif time.monotonic() - quiet_since >= self.quiet:
                return
            await asyncio.sleep(self.quiet / 5)

    async def close(self) -> None:
        if self.station is not None:
            await self._stop_agent()
        if self.devices is not None:
            await self.devices.close()
            self.devices = None

    async def _stop_agent(self) -> None:
        station = self.station_
        station.stop()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, READY_WAIT)
        await station.close()
        self.station = None

    # -- steps -------------------------------------------------------------------------------------------

    async def run(self) -> ScenarioResult:
        result = ScenarioResult(self.scenario)
        began = time.perf_counter()
        try:
            await self.start()
            for number, step in enumerate(self.scenario.steps, 1):
                outcome = await self.step(number, step)
                result.steps.append(outcome)
                if not outcome.ok:
                    break
        except Exception as exc:  # the replay broke: report it with the scenario, never lose the others
            result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"
        finally:
            with contextlib.suppress(Exception):
                await self.close()
            result.wall = time.perf_counter() - began
            result.virtual = self.clock.monotonic()
        return result

    async def step(self, number: int, step: Step) -> StepResult:
        try:
            detail = await self._do(step)
            ok = True
        except StepFailed as exc:
            detail, ok = str(exc), False
        outcome = StepResult(number, step, ok, detail, self.clock.monotonic())
        for listener in self.listeners:
            listener(f"{'ok' if ok else 'FAILED'} step {number} {step.describe()}: {detail}")
        return outcome

    async def _do(self, step: Step) -> str:
        station = self.station_
        counter = station.counter
        match step:
            case SaleStep():
                sale_id = counter.start_sale(step.amount, step.reference)
                if step.alias:
                    self.aliases[step.alias] = sale_id
                detail = f"sale {sale_id} for {step.amount}"
            case ActionStep():
                flow_id = self._offering(step.action, step.sale)
                counter.act(flow_id, step.action, **({"method": step.method} if step.method else {}))
                detail = f"{step.action} on {flow_id}"
            case ContactStep():
                detail = self._contact(step)
            case WrongCardStep() | UnpaidStep():
                sale_id = self.sale_id(step.sale)
                try:
                    flow_id = counter.report_wrong_card(sale_id) if isinstance(step, WrongCardStep) \
                        else counter.report_unpaid(sale_id, step.receipt)
                except ValueError as exc:
                    raise StepFailed(f"the counter refused: {exc}") from None
                detail = f"{flow_id} started for {sale_id}"
            case ReaderStep():
                try:
                    command = reader_command(step.command)
                except DeviceCommandError as exc:
                    raise StepFailed(str(exc)) from None
                reads = self._reads
                if command.verb in READS:
                    await self._wall_wait(lambda: counter.reader is None or counter.reader.session.line.is_open)
                try:
                    command.apply(station.sim.reader, station.sim.ports["reader"])
                except DeviceCommandError as exc:
                    raise StepFailed(str(exc)) from None
                if command.verb in READS:
                    await self._wall_wait(lambda: self._reads > reads)
                detail = "done"
            case PrinterStep():
                printer_command(step.command).apply(station.sim.printer)
                detail = "done"
            case AcquirerStep():
                answer = await station.sim.acquirer.control(step.command)
                if not answer.startswith("ok"):
                    raise StepFailed(f"the acquirer answered {answer}")
                detail = answer
            case AdvanceStep():
                await self.advance(step.seconds)
                detail = f"t={self.clock.monotonic():g}s"
            case RestartStep():
                await self.restart()
                detail = f"agent restarted on {self._settings.journal.path.name}"
            case NotifyStep():
                detail = await self._notify()
            case ExpectStep():
                return await self._expect(step)
            case _:
                raise StepFailed(f"no way to replay {step.key}")
        await self.settle()
        return detail

    async def _wall_wait(self, done: Callable[[], bool]) -> None:
        """Wait a little wall time, without moving the clock, for what crosses the reader's serial line: the
        line opened after a reconnect, a card read delivered. Both go through threads, which a loaded
        machine can hold up longer than a quiet spell; a card the agent never hears is the expects' to report."""
        deadline = time.monotonic() + READ_WAIT
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    def sale_id(self, ref: str) -> str:
        if ref != LAST:
            return self.aliases[ref]  # the loader checked that a sale step named it earlier
        found = checks.latest_sale(self.station_.journal)
        if found is None:
            raise StepFailed("no sale yet: start one with a sale step")
        return found

    def _offering(self, action: str, ref: str) -> str:
        """The flow to press the action on: the sale's own flow if it offers it, else the latest that does."""
        counter = self.station_.counter
        offering = [flow_id for flow_id, prompt in counter.screen.prompts.items()
                    if flow_id in counter.flows and action in checks.actions_of(prompt.prompt_id)]
        sale = checks.latest_sale(self.station_.journal) if ref == LAST else self.aliases[ref]
        own = counter.flow_of(sale) if sale is not None else None
        if own is not None and own.flow_id in offering:
            return own.flow_id
        if offering:
            return offering[-1]
        shown = "; ".join(f"{flow_id} {prompt.prompt_id} ({', '.join(checks.actions_of(prompt.prompt_id)) or '-'})"
                          for flow_id, prompt in counter.screen.prompts.items()) or "nothing"
        raise StepFailed(f"no screen offers {action}; on screen: {shown}")

    def _contact(self, step: ContactStep) -> str:
        counter, contacts = self.station_.counter, self.station_.contacts
        capturing = list(counter.screen.capturing_contact)
        sale = checks.latest_sale(self.station_.journal) if step.sale == LAST else self.aliases[step.sale]
        own = counter.flow_of(sale) if sale is not None else None
        flow_id = own.flow_id if own is not None and own.flow_id in capturing else capturing[-1] if capturing else None
        if flow_id is None:
            raise StepFailed("no contact form is open: the customer must first choose to leave (customer_leaves)")
        if step.declined:
            contacts.record_declined(case_id=flow_id)
            counter.act(flow_id, "contact_declined")
            return f"the customer declined to leave details on {flow_id}"
        try:
            contact_id = contacts.record(**step.form(), case_id=flow_id)
        except ContactFormError as exc:
            raise StepFailed("the contact form refused: " + "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)) \
                from None
        counter.act(flow_id, "contact_saved", contact_id=contact_id)
        return f"contact saved on {flow_id}"  # its id is random by design, and a report is the same run to run

    async def advance(self, seconds: float) -> None:
        """Move time on by `seconds`, stopping at each timer due on the way to let what it set off finish."""
        target = self.clock.monotonic() + seconds
        while (due := self.clock.next_due()) is not None and due <= target:
            self.clock.jump()
            await self.settle()
        self.clock.advance(target - self.clock.monotonic())
        await self.settle()

    async def restart(self) -> None:
        """The agent dies where it stands — only what its journal committed survives, as after a power cut —
        and starts again on the same devices."""
        self._restarts += 1
        journal = self._settings.journal.path
        image = journal.with_name(f"journal-after-restart-{self._restarts}.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{journal}{suffix}").exists():
                shutil.copy(f"{journal}{suffix}", f"{image}{suffix}")
        await self._stop_agent()
        self._settings = replace(self._settings, journal=JournalSettings(image))
        assert self.devices is not None
        await self._open(self.devices)
        await self._ready()

    async def _notify(self) -> str:
        """Send every drafted message not yet sent; e-mail goes to a local mail server, as to a relay."""
        station = self.station_
        with smtp_server(self.mail) as port:
            notifier = Notifier(station.journal, self.clock, station.contacts,
                                NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                               smtp_from="store@replay.example"))
            results = [await asyncio.to_thread(notifier.send, row.draft_id) for row in notifier.drafts()
                       if row.state in ("drafted", "failed")]
        await self.settle()
        return ", ".join(f"{r.draft_id}: {r.state}" + (f" ({r.reason})" if r.reason else "") for r in results) \
            or "nothing to send"

    async def _expect(self, step: ExpectStep) -> str:
        deadline = None if step.within is None else self.clock.monotonic() + step.within
        await self.settle()
        while True:
            failures = checks.failures(self, step)
            if not failures:
                return "as expected" + (f" at t={self.clock.monotonic():g}s" if deadline is not None else "")
            due = self.clock.next_due()
            if deadline is None or due is None or due > deadline:
                waited = f" (waited to t={self.clock.monotonic():g}s)" if deadline is not None else ""
                raise StepFailed("; ".join(failures) + waited)
            self.clock.jump()
            await self.settle()
