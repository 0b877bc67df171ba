"""The virtual receipt printer as a device, still without I/O: bytes from the agent in, status replies out,
receipts on the side.

It is the interpreter plus the two things a physical printer adds: a state the test (or a person) sets —
paper near end, paper end, cover open, offline, error, or a dead status line — and paper that is only
produced while nothing stops printing. Data that arrives while a fault stops the mechanism is lost, as on
a printer whose receive buffer is flushed by the fault: the agent cannot assume a job went out just
because its bytes were written, which is the point of asking DLE EOT before and after every receipt.

Only DLE EOT is answered. It is the real-time request the agent relies on (DESIGN §3.1), and a real
printer answers it at once even when offline or mid-job. GS r, GS I, ESC u and ESC v are read but get no
reply: they queue behind print data on real hardware, and a driver that waited on them would hang
whenever paper runs out, so the simulator does not invite their use. ESC @ resets the printing modes (the
interpreter does that), never the conditions: it cannot load paper or close a cover.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from domain.events import PrinterCondition
from simulator.printer.document import Cut, Document, Line, StatusRequest
from simulator.printer.interpreter import Interpreter

BASE = 0x12  # every reply matches 0xx1xx10
_BITS = {  # DLE EOT n -> the bits each condition sets in the reply
    1: {PrinterCondition.OFFLINE: 0x08},
    2: {PrinterCondition.COVER_OPEN: 0x04, PrinterCondition.PAPER_END: 0x20, PrinterCondition.ERROR: 0x40},
    4: {PrinterCondition.PAPER_NEAR_END: 0x0C, PrinterCondition.PAPER_END: 0x60},
}
STOPS_PRINTING = frozenset((PrinterCondition.PAPER_END, PrinterCondition.COVER_OPEN, PrinterCondition.OFFLINE,
                            PrinterCondition.ERROR))
SETTABLE = frozenset((*STOPS_PRINTING, PrinterCondition.PAPER_NEAR_END))


@dataclass(frozen=True)
class PrintedReceipt:
    """One piece of paper: what printed between two cuts.

    `data` is the bytes that came out (bytes lost to a fault are not in it), so rendering it again shows
    the same paper. `torn` says a fault ate part of it. `cut` is None when the paper was never cut: the
    fault also swallowed the cut, or the line closed with the paper still in the printer.
    """

    data: bytes
    text: str
    document: Document
    torn: bool = False
    cut: Cut | None = None


def _check(condition: PrinterCondition) -> PrinterCondition:
    if condition not in SETTABLE:
        raise ValueError(f"a printer cannot be put in {condition!r}; settable: "
                         f"{', '.join(sorted(c.value for c in SETTABLE))} (no reply is `silent`)")
    return condition


class VirtualPrinter:
    def __init__(self, *, columns: int = 48, chinese: bool = False) -> None:
        self.columns = columns
        self.chinese = chinese
        self.conditions: set[PrinterCondition] = set()
        self.silent = False
        self.receipts: list[PrintedReceipt] = []
        self.observers: list[Callable[[PrintedReceipt], None]] = []
        self.lost = 0  # print bytes received while a fault stopped printing
        self._fault: tuple[int, PrinterCondition] | None = None
        self._interpreter = Interpreter(chinese=chinese, columns=columns)
        self._start_job()

    # --- what a test or a person does to the printer ---------------------------------------------------

    def set(self, condition: PrinterCondition, on: bool = True) -> None:
        if on:
            self.conditions.add(_check(condition))
        else:
            self.conditions.discard(_check(condition))

    def clear(self) -> None:
        """Back to a healthy printer: no condition, answering, no fault waiting to happen."""
        self.conditions.clear()
        self.silent = False
        self._fault = None

    def fail_after(self, byte_count: int, condition: PrinterCondition) -> None:
        """Switch `condition` on once `byte_count` more bytes have arrived, so a test can stop the paper
        at any byte of a print job. A later call replaces a fault still waiting."""
        if byte_count < 0:
            raise ValueError(f"byte_count must be 0 or more, got {byte_count}")
        _check(condition)
        self._fault = None
        if byte_count == 0:
            self.conditions.add(condition)
        else:
            self._fault = (byte_count, condition)

    @property
    def printing(self) -> bool:
        return not self.conditions & STOPS_PRINTING

    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT n for the current state (n 3, 7 and 8 report nothing we model)."""
        byte = BASE
        for condition, bits in _BITS.get(n, {}).items():
            if condition in self.conditions:
                byte |= bits
        return byte

    # --- the line -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """A new connection: the paper already out is recorded, the interpreter starts from power-on."""
        self.flush()
        self._interpreter = Interpreter(chinese=self.chinese, columns=self.columns)
        self._start_job()

    def flush(self) -> None:
        """The line closed: paper that came out since the last cut is a receipt, though never cut."""
        self._finish(None)

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the agent; return the status replies to send back, in request order.

        Fed one byte at a time so each cut, each fault and each request falls on its exact byte."""
        reply = bytearray()
        for index in range(len(data)):
            printing = self.printing
            self._interpreter.feed(data[index:index + 1])
            self._recent.append(not printing)
            if printing:
                self._data += data[index:index + 1]
            else:
                self.lost += 1
            for event in self._interpreter.events():
                self._event(event, printing, reply)
            self._count_down()
        return bytes(reply)

    # --- inside ---------------------------------------------------------------------------------------

    def _start_job(self) -> None:
        self._data = bytearray()
        self._items: list[Line | StatusRequest] = []
        self._torn = False
        self._dropped_at_start = self._interpreter.dropped
        self._recent: deque[bool] = deque(maxlen=4)  # which of the last bytes were lost

    def _event(self, event: Line | Cut | StatusRequest, printing: bool, reply: bytearray) -> None:
        if isinstance(event, StatusRequest):
            self._items.append(event)
            if event.realtime:
                size = 3 if event.a is None else 4  # a request is not print data, even when it arrives offline
                self.lost -= sum(list(self._recent)[-size:])
                if not self.silent:
                    reply.append(self.status_byte(event.n))
        elif not printing:
            self._torn = True
            if isinstance(event, Cut):
                self._finish(None)
        elif isinstance(event, Cut):
            self._finish(event)
        else:
            self._items.append(event)

    def _count_down(self) -> None:
        if self._fault is None:
            return
        left, condition = self._fault
        if left > 1:
            self._fault = (left - 1, condition)
        else:
            self._fault = None
            self.conditions.add(condition)

    def _finish(self, cut: Cut | None) -> None:
        if any(isinstance(item, Line) for item in self._items):
            document = Document.from_events(self._items, self._interpreter.dropped - self._dropped_at_start)
            receipt = PrintedReceipt(bytes(self._data), document.text(self.columns), document, self._torn, cut)
            self.receipts.append(receipt)
            for observer in self.observers:
                observer(receipt)
        self._start_job()
