"""The receipt printer at the counter: journaled print jobs, the printer's status read before and after
each, and a fault raised as an event with the job held — a job never vanishes, and no second copy ever
goes out without the 重打印 / DUPLICATE mark.

A job's life is in the journal, on its sale's stream, keyed by receipt id:
`receipt_to_print` (the counter, in the flow's own transaction) → `print_sent` (committed before the
first byte leaves, as authorizations are) → `receipt_printed`, or `print_held` on a fault, then
`print_retry` when the cashier has fixed it, or `print_closed` when the receipt goes another way.
Whatever the agent remembers is rebuilt from those on start; every job not printed or closed runs
again, so a crash mid-receipt ends in a copy marked DUPLICATE, never in silence.

Between jobs the status is read too: at start, then every `status_every` seconds on the agent's clock while
no receipt is printing, so the status bar says "out of paper" (or cover open, offline, not answering) before
the next sale finds out, instead of "unknown" until the first receipt.

The printer is talked to through python-escpos connectors, which block: each exchange runs on a worker
thread while the journal is only ever written from the event loop. The wait for a status reply is a
timer on the agent's clock, so a silent printer costs virtual time under test, not wall time.

Times print on the store's wall clock (`[cases] timezone`), not the PC's: counter PCs are often left on
UTC, and the customer's paper must say when they paid in the shop's own time. With no zone configured
the PC's own zone is the store's.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from agent.config import PrinterSettings, StoreSettings
from agent.journal import Journal
from domain.clock import Clock
from domain.events import PrinterCondition, PrinterStatus, ReceiptPrinted
from drivers.errors import RemoteProtocolError
from drivers.printer.port import PrinterPort, open_port
from drivers.printer.receipt import Store, receipt_from_document
from drivers.printer.render import render
from drivers.printer.status import StatusCheck, printable

TO_PRINT, SENT, PRINTED, HELD, RETRY, CLOSED = (
    "receipt_to_print", "print_sent", "receipt_printed", "print_held", "print_retry", "print_closed")
LIFECYCLE = (TO_PRINT, SENT, PRINTED, HELD, RETRY, CLOSED)
POLL = 0.02  # seconds a worker thread waits on the port before it looks at the clock's deadline again
C = PrinterCondition


@dataclass
class Job:
    receipt_id: str
    stream: str | None
    document: dict[str, Any]
    reprint: bool = False  # asked for as a reprint: every copy is a duplicate
    attempts: int = 0  # attempts whose bytes started to go out: any copy after one is a duplicate
    state: str = TO_PRINT  # the last lifecycle event on record

    @property
    def open(self) -> bool:
        return self.state not in (PRINTED, CLOSED)

    @property
    def duplicate(self) -> bool:
        return self.reprint or self.attempts > 0


def jobs_on_record(journal: Journal, stream: str | None = None) -> dict[str, Job]:
    """The print jobs the journal knows (of one sale's stream, or all), folded from their lifecycle events."""
    jobs: dict[str, Job] = {}
    marks = ",".join("?" * len(LIFECYCLE))
    sql = f"SELECT kind, stream, payload FROM events WHERE +kind IN ({marks}) AND stream = ? ORDER BY seq" \
        if stream is not None else f"SELECT kind, stream, payload FROM events WHERE kind IN ({marks}) ORDER BY seq"
    for kind, stream_, text in journal.query(sql, (*LIFECYCLE, stream) if stream is not None else LIFECYCLE):
        payload = json.loads(text)
        receipt_id = payload.get("receipt_id")
        if kind == TO_PRINT:
            job = jobs.get(receipt_id)
            if job is None or not job.open:
                jobs[receipt_id] = Job(receipt_id, stream_, payload["document"], bool(payload.get("duplicate")),
                                       attempts=job.attempts if job else 0)
            continue
        job = jobs.get(receipt_id)
        if job is None:
            continue
        job.attempts += kind == SENT
        job.state = kind
    return jobs


class PrinterService:
    def __init__(self, journal: Journal, clock: Clock, settings: PrinterSettings, store: StoreSettings, *,
                 terminal_id: str = "", merchant_id: str = "", zone: tzinfo | None = None,
                 on_event: Callable[[Any], None], port: Callable[[], PrinterPort] | None = None) -> None:
        self._journal = journal
        self._zone = zone
        self._clock = clock
        self._settings = settings
        self._store = Store(name=store.name, address=store.address, phone=store.phone, terminal_id=terminal_id,
                            merchant_id=merchant_id, footer=store.footer, qr=store.qr)
        self._on_event = on_event
        self._port = port or (lambda: open_port(settings.url, timeout=settings.connect_timeout))
        self._queue: asyncio.Queue[tuple[str, str | None]] = asyncio.Queue()
        self._stopping = False
        self._waiting: threading.Event | None = None  # the deadline of a status read under way
        self.conditions: frozenset[PrinterCondition] | None = None  # the last status read, for the status bar

    # -- what the counter asks, after its transaction has committed ----------------------------------

    def submit(self, receipt_id: str, stream: str | None) -> None:
        """A receipt was journaled to print, or to retry: print it when the printer is free."""
        self._queue.put_nowait((receipt_id, stream))

    def pending(self) -> list[Job]:
        return [job for job in jobs_on_record(self._journal).values() if job.open]

    # -- running ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        # Whatever a stop or a crash left unfinished runs again, held jobs included: the printer may have
        # been fixed meanwhile, and if not, the fault is raised again for a flow to take up.
        for job in self.pending():
            if self._stopping:
                return
            await self._print(job)
        if not self._stopping:
            await self._idle_status()
        while not self._stopping:
            submitted = await self._next_job()
            if self._stopping:
                break
            if submitted is None:
                await self._idle_status()
                continue
            receipt_id, stream = submitted
            job = jobs_on_record(self._journal, stream).get(receipt_id)
            if job is not None and job.open and job.state != HELD:  # held: until the cashier has fixed it
                await self._print(job)

    async def _next_job(self) -> tuple[str, str | None] | None:
        """The next job submitted, or None once `status_every` seconds have passed without one."""
        getting = asyncio.ensure_future(self._queue.get())
        waiting = asyncio.ensure_future(self._clock.sleep(self._settings.status_every))
        try:
            await asyncio.wait({getting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            if not getting.done():
                getting.cancel()  # a job put meanwhile stays queued: the get never took it
        return getting.result() if getting.done() and not getting.cancelled() else None

    async def _idle_status(self) -> None:
        """One status read with no job under way, reported if it changed. A printer that cannot answer
        (a file or a one-way port) is not asked."""
        port = self._port()
        if not port.can_read:
            return
        try:
            await asyncio.to_thread(port.open)
        except OSError:
            self._seen(frozenset({C.OFFLINE}))
            return
        try:
            conditions = await self._status(port)
        finally:
            await asyncio.to_thread(port.close)
        if not self._stopping:  # a read cut short by the stop says nothing about the printer
            self._seen(conditions)

    def stop(self) -> None:
        self._stopping = True
        if self._waiting is not None:
            self._waiting.set()  # a status read under way ends now, as unknown
        self._queue.put_nowait(("", None))

    # -- one attempt -----------------------------------------------------------------------------------

    async def _print(self, job: Job) -> None:
        duplicate = job.duplicate
        try:
            zone = self._zone if self._zone is not None else self._clock.now().astimezone().tzinfo
            receipt = receipt_from_document(job.document, self._store, tz=zone)
            data = render(receipt, columns=self._settings.columns, duplicate=duplicate, copies=self._settings.copies)
        except ValueError as exc:  # our own flows wrote it: a bug, kept on record with the job still open
            self._journal.append("print_refused", {"receipt_id": job.receipt_id, "error": str(exc)},
                                 stream=job.stream)
            return
        port = self._port()
        try:
            await asyncio.to_thread(port.open)
        except OSError as exc:
            self._hold(job, frozenset({C.OFFLINE}), sent=False, detail=str(exc))
            return
        try:
            if port.can_read:
                before = await self._status(port)
                if not printable(before):
                    self._hold(job, before, sent=False)
                    return
            self._journal.append(SENT, {"receipt_id": job.receipt_id, "attempt": job.attempts + 1,
                                        "duplicate": duplicate, "bytes": len(data)}, stream=job.stream)
            job.attempts += 1
            if self._stopping:
                return  # stopped between the record and the wire: the job runs again, marked, on start
            try:
                await asyncio.to_thread(port.write, data)
            except OSError as exc:
                self._hold(job, frozenset({C.OFFLINE}), sent=True, detail=str(exc))
                return
            after = await self._status(port) if port.can_read else frozenset({C.NO_REPLY})
            if not printable(after):
                self._hold(job, after, sent=True)
                return
            self._journal.append(PRINTED, {"receipt_id": job.receipt_id, "duplicate": duplicate,
                                           "conditions": sorted(c.value for c in after)}, stream=job.stream)
            self._seen(after)
            self._on_event(ReceiptPrinted(job.receipt_id, duplicate))
        finally:
            await asyncio.to_thread(port.close)

    def _hold(self, job: Job, conditions: frozenset[PrinterCondition], *, sent: bool, detail: str = "") -> None:
        """The job waits, on record, for the cashier; the flow that guides them hears why."""
        may_have_printed = sent or job.attempts > 0
        self._journal.append(HELD, {"receipt_id": job.receipt_id, "conditions": sorted(c.value for c in conditions),
                                    "may_have_printed": may_have_printed, "detail": detail}, stream=job.stream)
        self._seen(conditions)
        self._on_event(PrinterStatus(conditions, job.receipt_id, may_have_printed, job.document))

    def _seen(self, conditions: frozenset[PrinterCondition]) -> None:
        if conditions != self.conditions:
            self.conditions = conditions
            self._on_event(PrinterStatus(conditions))

    async def _status(self, port: PrinterPort) -> frozenset[PrinterCondition]:
        """One round of DLE EOT 1, 2, 4. The deadline is a timer on the agent's clock; an answer that
        breaks the protocol is no answer either — the state is unknown, never OK."""
        expired = self._waiting = threading.Event()
        timer = self._clock.call_later(self._settings.status_timeout, expired.set)
        try:
            return await asyncio.to_thread(read_status, port, expired)
        except RemoteProtocolError as exc:
            self._journal.append("printer_status_garbled", {"error": str(exc)})
            return frozenset({C.NO_REPLY})
        finally:
            timer.cancel()
            self._waiting = None


def read_status(port: PrinterPort, expired: threading.Event) -> frozenset[PrinterCondition]:
    """One round of DLE EOT 1, 2, 4 on an open port, given up as unknown once `expired` is set."""
    check = StatusCheck()
    while not check.done:
        if check.awaiting is None:
            request = check.next_request()
            assert request is not None  # a round not done has a query left
            port.write(request)
        data = port.read(POLL)
        if data:
            check.receive_data(data)
        elif expired.is_set():
            check.no_reply()
    return check.result()
