"""The agent as a process of its own, against virtual devices that live in the bench's process.

Crash injection and the soak both need an agent that can be killed outright — SIGKILL, no `finally`, no
flush — while the card reader, the printer, the acquirer and the mail relay carry on, as the hardware at a
counter outlives the PC's process. So the devices run in the bench (`DeviceHost`), on the same real
transports as ever (the reader on a pty, the printer and the acquirer on loopback TCP, mail on SMTP), and
the agent runs here, in a child process, as the same `Station` that `recoup agent` runs.

The child is told what to do over a pipe: replay a scenario's steps (`scenario`), come back up on the
journal a killed agent left and recover (`recover`), or sell for the soak (`bench.soak_cashier`). Device
steps — a card presented, paper pulled, an acquirer fault — are sent back over the pipe to the bench, which
does them at the device; the checks a scenario makes of the ledger and the paper are asked the same way.

Instrumented points: every journal commit and every send that can move money or paper (a financial ISO
8583 message, a print job, an e-mail) is numbered as it happens and reported to the bench; given
`kill_at`, the child SIGKILLs itself right after that point — the commit durable, the bytes gone, nothing
after it done.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import smtplib
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.journal import store as journal_store
from agent.printer import jobs_on_record
from agent.station import Simulated
from domain.clock import VirtualClock
from drivers.printer import port as printer_port
from simulator.replay import checks
from simulator.replay.devices import printer_command, reader_command
from simulator.replay.engine import READS, Replay, StepFailed
from simulator.replay.scenario import Scenario, load
from simulator.replay.steps import AcquirerStep, PrinterStep, ReaderStep

# Flow states with a request handed to the agent or on the wire, or paper on its way: not yet recovered.
IN_FLIGHT = frozenset({"AUTHORIZING", "AWAITING_RESPONSE", "CANCELLING", "AWAITING_CANCEL", "VERIFYING",
                       "AWAITING_ANSWER", "SETTLING", "SENDING_STORED", "REPRINTING"})
RECOVERY_LIMIT = 20 * 60.0  # seconds of virtual time a recovering agent is given to drain
RESTART_GAP = timedelta(seconds=10)  # virtual time between the last thing journaled and the restart
NETWORK_MANAGEMENT = ("0800", "0810")  # echo tests: sent on a timer, they move nothing


class Link:
    """The child's end of the pipe: calls that wait for the bench's answer, and notes that do not.
    Points may be reported from the printer's worker thread too, so every send is under one lock."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def call(self, *message: Any) -> Any:
        with self._lock:
            self._conn.send(message)
            answer, value = self._conn.recv()
        if answer == "error":
            raise StepFailed(value)
        return value

    def note(self, *message: Any) -> None:
        with self._lock:
            self._conn.send(message)


class Points:
    """Numbers the instrumented points as they happen, reports each, and kills the process at `kill_at`."""

    def __init__(self, link: Link, kill_at: int | None) -> None:
        self.link = link
        self.kill_at = kill_at
        self.armed = False
        self.count = 0
        self.on_point: Callable[[str], None] | None = None  # told of each point instead of the bench (the soak)
        self._kinds: list[str] = []  # what the transaction now open has inserted

    def hit(self, name: str) -> None:
        if not self.armed:
            return
        self.count += 1
        if self.on_point is not None:
            self.on_point(name)
        else:
            self.link.note("point", self.count, name)
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def install(self) -> None:
        """Wrap the places where the agent commits or sends; what they do is unchanged."""
        points = self
        transaction_exit = journal_store._Transaction.__exit__
        insert = journal_store.Journal._insert

        def inserted(journal: Any, kind: str, *args: Any) -> int:
            points._kinds.append(kind)
            return insert(journal, kind, *args)

        def committed(transaction: Any, exc_type: Any, *rest: Any) -> None:
            outer = transaction._outer
            transaction_exit(transaction, exc_type, *rest)
            if outer:
                kinds, points._kinds = points._kinds, []
                if exc_type is None and kinds:
                    points.hit("journal " + "+".join(dict.fromkeys(kinds)))

        stream_write = asyncio.StreamWriter.write

        def wrote(writer: Any, data: bytes) -> None:
            stream_write(writer, data)
            mtis = _mtis(bytes(data))
            if any(mti not in NETWORK_MANAGEMENT for mti in mtis):
                points.hit("send acquirer " + "+".join(mtis))

        printer_write = printer_port.PrinterPort.write

        def printed(port: Any, data: bytes) -> None:
            printer_write(port, data)
            if len(data) > 3:  # a status request (DLE EOT n) is three bytes; a job is more
                points.hit(f"send printer {len(data)} bytes")

        send_message = smtplib.SMTP.send_message

        def mailed(smtp: Any, *args: Any, **kwargs: Any) -> Any:
            refused = send_message(smtp, *args, **kwargs)
            points.hit("send e-mail")
            return refused

        journal_store.Journal._insert = inserted  # type: ignore[method-assign]
        journal_store._Transaction.__exit__ = committed  # type: ignore[method-assign]
        asyncio.StreamWriter.write = wrote  # type: ignore[method-assign]
        printer_port.PrinterPort.write = printed  # type: ignore[method-assign]
        smtplib.SMTP.send_message = mailed  # type: ignore[method-assign]


def _mtis(data: bytes) -> list[str]:
    """The message types in a write on the acquirer link (2-byte length, then the ASCII MTI)."""
    found = []
    while len(data) >= 6:
        length = int.from_bytes(data[:2], "big")
        found.append(data[2:6].decode("ascii", "replace"))
        data = data[2 + length:]
    return found


class SyncedClock(VirtualClock):
    """The agent's virtual clock, which tells the bench each time it moves, so the devices' clock follows:
    a card reader waiting to resend a frame the line garbled waits on the same time as the agent."""

    def __init__(self, link: Link, start: datetime | None = None) -> None:
        super().__init__(start)
        self._link = link

    def jump(self) -> bool:
        moved = super().jump()
        self._link.note("clock", self.now())
        return moved

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self._link.note("clock", self.now())


# -- the devices, seen from the child ------------------------------------------------------------------


@dataclass
class _Paper:
    text: str
    torn: bool


class _Ledger:
    def __init__(self, link: Link) -> None:
        self._link = link

    def net_charge(self, card: Any) -> int:
        return self._link.call("net_charge", card)


class _Acquirer:
    def __init__(self, link: Link, port: int) -> None:
        self._link = link
        self.port = port
        self.ledger = _Ledger(link)

    @property
    def refusing(self) -> bool:
        return self._link.call("refusing")


class _Printer:
    def __init__(self, link: Link) -> None:
        self._link = link

    @property
    def receipts(self) -> list[_Paper]:
        return [_Paper(text, torn) for text, torn in self._link.call("paper")]


class RemoteDevices(Simulated):
    """The bench's devices as a `Station` and a scenario's checks see them: where they listen, and what the
    ledger and the paper hold, asked over the pipe. Closing them is the bench's business."""

    def __init__(self, link: Link, urls: dict[str, str], acquirer_port: int) -> None:
        super().__init__(acquirer=_Acquirer(link, acquirer_port), printer=_Printer(link), urls=dict(urls))

    async def close(self) -> None:
        return None


class ProcessReplay(Replay):
    """A replay whose agent is this process and whose devices are the bench's."""

    def __init__(self, scenario: Scenario, workdir: Path, link: Link, job: dict[str, Any],
                 start: datetime | None = None) -> None:
        super().__init__(scenario, workdir, seed=job.get("seed"))
        self.clock = SyncedClock(link, start or scenario.start)
        self.link = link
        self.job = job

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.devices = RemoteDevices(self.link, self.job["urls"], self.job["acquirer_port"])
        await self._open(self.devices)
        await self._ready()

    async def close(self) -> None:
        if self.station is not None:
            await self._stop_agent()

    async def _do(self, step: Any) -> str:
        if isinstance(step, ReaderStep):
            counter = self.station_.counter
            verb = reader_command(step.command).verb
            reads = self._reads
            if verb in READS:
                await self._wall_wait(lambda: counter.reader is None or counter.reader.session.line.is_open)
            self.link.call("reader", step.command)
            if verb in READS:
                await self._wall_wait(lambda: self._reads > reads)
        elif isinstance(step, PrinterStep):
            self.link.call("printer", step.command)
        elif isinstance(step, AcquirerStep):
            answer = self.link.call("acquirer", step.command)
            if not answer.startswith("ok"):
                raise StepFailed(f"the acquirer answered {answer}")
        else:
            return await super()._do(step)
        await self.settle()
        return "done"

    async def _notify(self) -> str:
        from agent.notify import Notifier, NotifySettings

        station = self.station_
        notifier = Notifier(station.journal, self.clock, station.contacts,
                            NotifySettings(smtp_host="127.0.0.1", smtp_port=self.job["smtp_port"],
                                           smtp_starttls=False, smtp_from="store@bench.example"))
        results = [await asyncio.to_thread(notifier.send, row.draft_id) for row in notifier.drafts()
                   if row.state in ("drafted", "failed")]
        await self.settle()
        return ", ".join(f"{r.draft_id}: {r.state}" for r in results) or "nothing to send"

    # -- recovery ------------------------------------------------------------------------------------

    def in_flight(self) -> list[str]:
        """What is still under way: requests on the wire, reversals queued, receipts not yet on paper."""
        station = self.station_
        counter = station.counter
        busy = [f"{flow.name} {flow.state.name}" for flow in counter.flows.values() if flow.state.name in IN_FLIGHT]
        if counter.host is not None and counter.host.saf.pending():
            busy.append(f"{len(counter.host.saf.pending())} reversal(s) queued")
        if counter.host is not None and not counter.host.up:
            busy.append("acquirer link down")
        jobs = [job for job in jobs_on_record(station.journal).values() if job.open]
        if jobs:
            busy.append(f"{len(jobs)} print job(s) open")
        return busy

    async def recover(self) -> dict[str, Any]:
        """Come up on the journal as found, and let time run timer to timer until nothing is under way. A
        printer the cashier must see to (paper, cover) is seen to once everything else has drained, as a
        cashier back at the counter would: the paper is loaded and 'fixed' pressed."""
        await self.start()
        limit = self.clock.monotonic() + RECOVERY_LIMIT
        fixed = 0
        while True:
            await self.settle()
            busy = self.in_flight()
            counter = self.station_.counter
            fixing = [flow_id for flow_id, prompt in counter.screen.prompts.items()
                      if flow_id in counter.flows and "printer_fixed" in checks.actions_of(prompt.prompt_id)]
            if fixing and fixed < 3 and all("print job" in what or "link down" in what for what in busy):
                self.link.call("printer_clear")
                fixed += 1
                counter.act(fixing[0], "printer_fixed")
                continue
            if not busy:
                break
            due = self.clock.next_due()
            if due is None or due > limit:
                break
            self.clock.jump()
        flows = {flow_id: f"{flow.name} {flow.state.name}" for flow_id, flow in self.station_.counter.flows.items()}
        return {"recovered": not busy, "under_way": busy, "flows": flows, "printer_fixed": fixed,
                "virtual_s": round(self.clock.monotonic(), 1)}


def _last_journaled(path: Path) -> datetime | None:
    if not path.exists():
        return None
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT MAX(at) FROM events").fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def _run(job: dict[str, Any], link: Link, points: Points) -> dict[str, Any]:
    scenario = load(Path(job["scenario"])) if job.get("scenario") else Scenario(Path("soak"), "soak", ())
    workdir = Path(job["workdir"])
    if job["mode"] == "scenario":
        replay = ProcessReplay(scenario, workdir, link, job)
        started = replay.start

        async def start_then_arm() -> None:
            await started()
            points.armed = True

        replay.start = start_then_arm  # type: ignore[method-assign]
        result = await replay.run()
        return {"passed": result.passed, "failure": result.failure, "steps": len(result.steps),
                "virtual_s": round(result.virtual, 1), "points": points.count}
    last = _last_journaled(workdir / "journal.sqlite")
    start = max(scenario.start, last + RESTART_GAP) if last is not None else None
    replay = ProcessReplay(scenario, workdir, link, job, start=start)
    if job["mode"] == "recover":
        try:
            return await replay.recover()
        finally:
            await replay.close()
    from bench.soak_cashier import sell

    try:
        await replay.start()
        points.armed = True
        return await sell(replay, link, job, points)
    finally:
        await replay.close()


def child_main(conn: Any, job: dict[str, Any]) -> None:
    """The child process: do the job, then say how it went (unless killed first)."""
    link = Link(conn)
    points = Points(link, job.get("kill_at"))
    points.install()
    began = time.perf_counter()
    try:
        summary = asyncio.run(_run(job, link, points))
    except BaseException as exc:  # the child broke: the bench reports it beside the run, never loses the rest
        summary = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=-6)}
    summary["wall_s"] = round(time.perf_counter() - began, 3)
    link.note("done", summary)


# -- the bench's side -----------------------------------------------------------------------------------


@dataclass
class ChildRun:
    summary: dict[str, Any] = field(default_factory=dict)
    points: list[str] = field(default_factory=list)
    exitcode: int | None = None
    rss_kb: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, VmRSS) when sampled
    progress: list[tuple[int, float]] = field(default_factory=list)  # (sales done, seconds since start)

    @property
    def killed(self) -> bool:
        return self.exitcode == -signal.SIGKILL


def context() -> Any:
    """Children forked from a server that has already imported the agent: a start costs milliseconds."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["bench.agent_process", "bench.soak_cashier"])
    return ctx


class DeviceHost:
    """Serves one child at a time: does its device steps at the bench's devices, hears its points, and
    moves the devices' clock with the agent's."""

    def __init__(self, devices: Simulated, clock: VirtualClock, smtp_port: int) -> None:
        self.devices = devices
        self.clock = clock  # the devices' clock: it follows the agent's
        self.smtp_port = smtp_port

    def job(self, **job: Any) -> dict[str, Any]:
        return {"urls": self.devices.urls, "acquirer_port": self.devices.acquirer.port,
                "smtp_port": self.smtp_port, **job}

    async def run(self, ctx: Any, job: dict[str, Any], *, sample_rss: float | None = None,
                  on_progress: Callable[[int, float], None] | None = None) -> ChildRun:
        loop = asyncio.get_running_loop()
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=child_main, args=(theirs, job), daemon=True)
        process.start()
        theirs.close()
        run = ChildRun()
        replies: set[asyncio.Task] = set()
        ended = loop.create_future()
        began = time.monotonic()
        sim = self.devices

        async def answer(message: tuple) -> Any:
            verb = message[0]
            if verb == "reader":
                reader_command(message[1]).apply(sim.reader, sim.ports["reader"])
                return ""
            if verb == "printer":
                printer_command(message[1]).apply(sim.printer)
                return ""
            if verb == "printer_clear":
                sim.printer.clear()
                return ""
            if verb == "acquirer":
                return await sim.acquirer.control(message[1])
            if verb == "refusing":
                return sim.acquirer.refusing
            if verb == "net_charge":
                return sim.acquirer.ledger.net_charge(message[1])
            if verb == "paper":
                return [(paper.text, paper.torn) for paper in sim.printer.receipts]
            raise ValueError(f"no such request from the agent process: {verb!r}")

        async def reply(message: tuple) -> None:
            try:
                value = ("ok", await answer(message))
            except Exception as exc:  # a device step that cannot be done is the step's failure, said as such
                value = ("error", f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(OSError):
                ours.send(value)

        def readable() -> None:
            try:
                while ours.poll():
                    message = ours.recv()
                    if message[0] == "point":
                        run.points.append(message[2])
                    elif message[0] == "done":
                        run.summary = message[1]
                    elif message[0] == "clock":
                        ahead = (message[1] - self.clock.now()).total_seconds()
                        if ahead > 0:
                            self.clock.advance(ahead)
                    elif message[0] == "progress":
                        run.progress.append((message[1], round(time.monotonic() - began, 2)))
                        if on_progress is not None:
                            on_progress(*run.progress[-1])
                    else:
                        task = loop.create_task(reply(message))
                        replies.add(task)
                        task.add_done_callback(replies.discard)
            except (EOFError, OSError):
                loop.remove_reader(ours.fileno())

        def exited() -> None:
            loop.remove_reader(process.sentinel)
            if not ended.done():
                ended.set_result(None)

        loop.add_reader(ours.fileno(), readable)
        loop.add_reader(process.sentinel, exited)
        try:
            while not ended.done():
                if sample_rss is not None:
                    rss = _rss_kb(process.pid)
                    if rss is not None:
                        run.rss_kb.append((round(time.monotonic() - began, 2), rss))
                await asyncio.wait([ended], timeout=sample_rss)
            process.join()
            readable()  # what it said just before it went
        finally:
            with contextlib.suppress(Exception):
                loop.remove_reader(ours.fileno())
            if process.is_alive():
                process.kill()
                process.join()
            ours.close()
        run.exitcode = process.exitcode
        return run


def _rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
