"""Receipt printer benchmark.

1. Throughput (MB/s) of the virtual printer's ESC/POS interpreter over the real fixture corpus
   (../shared/fixtures/escpos beside the repository, never copied into it): each file fed whole, and in
   64-byte chunks, its events read after every feed; `--passes` rounds of the corpus, per file and in all.
   The figure is per byte of stream, so files that are mostly raster data skipped by its length field
   (escpos-php-demo.bin, receipt-with-logo) read far faster than text-heavy ones: see the per-file rows.
2. Latency of one sale receipt at the counter, over a real pty (`serial:` with baudrate 115200) and over
   loopback TCP (port-9100 style): from starting to build the receipt (`receipt_from_document`, then
   `render`, 48 columns, the customer copy) and writing it through `open_port`, until the VirtualPrinter —
   served by the simulator's pty or TCP port on its own event loop in a background thread — has recorded the
   whole receipt (its observer fires on the cut). A second figure adds the agent's DLE EOT 1, 2, 4 round
   (`StatusCheck`, read as `agent.printer` reads it) before and after the receipt, in the agent's order,
   and ends when the after-round has answered. The port is opened once per transport and kept open (the
   agent opens it per job; that is not timed here). Over TCP the port sets TCP_NODELAY (python-escpos's
   Network leaves Nagle on, and the DLE EOT after a receipt then waited ~40 ms for a delayed ACK): the
   JSON says whether the socket had it. The virtual printer's own work
   (`receive`, which feeds its interpreter byte by byte) is timed apart, as wall time, by wrapping it: it
   shares this process, so its time is inside the latency, where a real printer's firmware would not be.
3. The time the same bytes take on a real line at 115200 baud 8N1 (10 bits a byte) — a pty has no baud
   rate, so the wire time is computed — and latency / wire time: what the software adds to a line's time.

Usage: python -m bench.printer [--passes N] [--receipts N] [--warmup N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import queue
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from agent.printer import read_status
from bench.stats import summary
from drivers.printer.port import PrinterPort, open_port
from drivers.printer.receipt import Store, receipt_from_document
from drivers.printer.render import render
from drivers.printer.status import OK
from simulator.printer.device import PrintedReceipt, VirtualPrinter
from simulator.printer.interpreter import Interpreter
from simulator.printer.server import PtyPrinterPort, TcpPrinterPort

# ../shared/fixtures/escpos beside the repository, never copied into it (DESIGN §7)
FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "escpos"
CHUNK = 64
BAUD = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop
COLUMNS = 48
STATUS_WIRE_BYTES = 2 * 3 * (3 + 1)  # two rounds of three queries, each DLE EOT n out and one byte back, in turn
STATUS_TIMEOUT = 2.0  # agent.config.PrinterSettings.status_timeout
WAIT = 10.0

STORE = Store(name="小店 Corner Shop", address="深圳市南山区科技园 Science Park Road 1", phone="0755-12345678",
              terminal_id="T0000001", merchant_id="898440358120001", footer="谢谢惠顾 Thank you",
              qr="https://e.example.com/r/S-0001")


def sale_document(index: int) -> dict[str, Any]:
    """An approved sale's Print document, as the sale flow emits it (tests/drivers/printer/samples.py)."""
    return {"type": "sale", "status": "approved", "sale_id": f"S-{index:04d}",
            "amount": {"minor": 5800 + index % 100, "currency": "CNY"}, "masked": "411111******1111",
            "auth_code": "A12345", "rrn": f"4122060{index % 100000:05d}", "stan": f"{index % 1000000:06d}",
            "time": "2024-05-01T14:03:22+08:00"}


# --- 1. the interpreter -------------------------------------------------------------------------------


def interpret(data: bytes, chunk: int | None) -> int:
    """Feed one stream to a fresh interpreter, whole or in `chunk`-byte pieces; the events it gave."""
    interpreter = Interpreter()
    events = 0
    step = chunk or len(data)
    for offset in range(0, len(data), step):
        interpreter.feed(data[offset:offset + step])
        events += sum(1 for _ in interpreter.events())
    interpreter.close()
    return events + sum(1 for _ in interpreter.events())


def interpreter_throughput(passes: int) -> dict:
    if not FIXTURES.is_dir() or not (paths := sorted(FIXTURES.glob("*.bin"))):
        return {"skipped": f"real ESC/POS fixtures not found: expected *.bin in {FIXTURES.resolve()}"}
    corpus = {path.name: path.read_bytes() for path in paths}
    modes = {"whole_file": None, f"chunks_of_{CHUNK}_bytes": CHUNK}
    seconds = {mode: dict.fromkeys(corpus, 0.0) for mode in modes}
    events = {mode: {} for mode in modes}
    for name, data in corpus.items():  # warm up, and check both modes read the same stream alike
        for mode, chunk in modes.items():
            events[mode][name] = interpret(data, chunk)
    for _ in range(passes):  # files and modes interleaved, so a slow spell of the machine hits all alike
        for name, data in corpus.items():
            for mode, chunk in modes.items():
                started = time.perf_counter()
                interpret(data, chunk)
                seconds[mode][name] += time.perf_counter() - started
    total_bytes = sum(map(len, corpus.values())) * passes

    def rate(size: int, elapsed: float) -> dict:
        return {"bytes": size, "seconds": round(elapsed, 3), "mb_per_s": round(size / elapsed / 1e6, 3)}

    return {
        "fixtures": str(FIXTURES.resolve()),
        "files": len(corpus),
        "corpus_bytes": sum(map(len, corpus.values())),
        "passes": passes,
        "note": "MB = 10^6 bytes of ESC/POS stream; raster image data is skipped by its length field, so "
                "image-heavy files read far faster than text: the per-file rows show the spread",
        "modes": {mode: rate(total_bytes, sum(seconds[mode].values())) for mode in modes},
        "per_file": {name: {"bytes": len(data), "events": events["whole_file"][name]}
                     | {mode: round(len(data) * passes / seconds[mode][name] / 1e6, 3) for mode in modes}
                     for name, data in corpus.items()},
        "per_file_unit": "MB/s in each mode",
        "chunked_events_match_whole": all(events[mode] == events["whole_file"] for mode in modes),
    }


# --- 2. a receipt to the virtual printer ----------------------------------------------------------------


class PrinterRig:
    """The virtual printer served on its own event loop in a background thread; every receipt it records
    is queued with the time of its cut and the printer's own busy time since `mark()`."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        self.printer = VirtualPrinter(columns=COLUMNS)
        self.printer.observers.append(self._recorded)
        self.recorded: queue.Queue[tuple[float, float, PrintedReceipt]] = queue.Queue()
        self._busy = 0.0  # seconds spent in printer.receive since mark()
        self._receiving_since: float | None = None
        self._idle = threading.Event()  # set while no call to printer.receive is under way
        self._idle.set()
        receive = self.printer.receive

        def timed_receive(data: bytes) -> bytes:
            self._idle.clear()
            self._receiving_since = time.perf_counter()
            try:
                return receive(data)
            finally:
                self._busy += time.perf_counter() - self._receiving_since
                self._receiving_since = None
                self._idle.set()

        self.printer.receive = timed_receive  # type: ignore[method-assign]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="virtual-printer", daemon=True)
        self.server: PtyPrinterPort | TcpPrinterPort | None = None

    def _recorded(self, receipt: PrintedReceipt) -> None:
        now = time.perf_counter()
        busy = self._busy + (now - self._receiving_since if self._receiving_since is not None else 0.0)
        self.recorded.put((now, busy, receipt))

    def mark(self) -> None:
        """Start counting the printer's busy time afresh, once the call that cut the last receipt has returned."""
        self._idle.wait(WAIT)
        self._busy = 0.0

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT)

    def start(self) -> str:
        self.thread.start()
        if self.transport == "pty":
            self.server = PtyPrinterPort(self.printer)

            async def plug() -> str:
                return self.server.plug()

            return f"serial:{self._run(plug())}?baudrate={BAUD}"
        self.server = TcpPrinterPort(self.printer, port=0)
        return self._run(self.server.start())

    def stop(self) -> None:
        async def close() -> None:
            if isinstance(self.server, TcpPrinterPort):
                await self.server.close()
            elif self.server is not None:
                self.server.close()

        try:
            self._run(close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(WAIT)
            self.loop.close()


def status_round(port: PrinterPort) -> frozenset:
    """One round of DLE EOT 1, 2, 4 as the agent reads it, its deadline a wall-clock timer here instead
    of a timer on the agent's clock."""
    expired = threading.Event()
    deadline = threading.Timer(STATUS_TIMEOUT, expired.set)
    deadline.start()
    try:
        return read_status(port, expired)
    finally:
        deadline.cancel()


def send_receipts(rig: PrinterRig, url: str, receipts: int, warmup: int, with_status: bool) -> dict[str, list]:
    samples: dict[str, list] = {"latency": [], "build": [], "printer": [], "before": [], "after": [], "bytes": []}
    port = open_port(url, timeout=5.0)
    port.open()
    if url.startswith("tcp:"):
        samples["connector_tcp_nodelay"] = [bool(port._device.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))]
    try:
        for index in range(warmup + receipts):
            document = sale_document(index)
            rounds: list[float] = []  # seconds of each status round
            rig.mark()
            started = time.perf_counter()
            receipt = receipt_from_document(document, STORE)
            if with_status:
                round_started = time.perf_counter()
                before = status_round(port)
                rounds.append(time.perf_counter() - round_started)
                assert before == OK, before
            data = render(receipt, columns=COLUMNS, copies=("customer",))
            built = time.perf_counter()
            port.write(data)
            done, busy, printed = rig.recorded.get(timeout=WAIT)
            if with_status:
                round_started = time.perf_counter()
                after = status_round(port)
                done = time.perf_counter()
                rounds.append(done - round_started)
                assert after == OK, after
            assert printed.cut is not None and not printed.torn and document["sale_id"] in printed.text, printed.text
            if index < warmup:
                continue
            samples["latency"].append(done - started)
            samples["build"].append(built - started - sum(rounds[:1]))
            if with_status:
                samples["before"].append(rounds[0])
                samples["after"].append(rounds[1])
            samples["printer"].append(busy)
            samples["bytes"].append(len(data))
    finally:
        port.close()
    assert rig.recorded.empty() and rig.printer.lost == 0
    return samples


def receipt_latency(transport: str, receipts: int, warmup: int) -> dict:
    rig = PrinterRig(transport)
    url = rig.start()
    try:
        plain = send_receipts(rig, url, receipts, warmup, with_status=False)
        checked = send_receipts(rig, url, receipts, warmup, with_status=True)
    finally:
        rig.stop()
    size = sum(plain["bytes"]) / len(plain["bytes"])
    wire = size * BITS_PER_BYTE / BAUD
    wire_checked = (size + STATUS_WIRE_BYTES) * BITS_PER_BYTE / BAUD
    lat = summary(plain["latency"], 1000)
    lat_checked = summary(checked["latency"], 1000)
    result = {
        "url": url,
        "receipts": receipts,
        "warmup_not_counted": warmup,
        "receipt_bytes": round(size, 1),
        "wire_time_ms_at_115200": round(wire * 1000, 3),
        "build_to_recorded": {
            "what": "receipt_from_document + render + port.write → the printer's observer fires on the cut",
            "latency_ms": lat,
            "build_and_render_ms": summary(plain["build"], 1000),
            "virtual_printer_receive_ms": summary(plain["printer"], 1000),
            "latency_to_wire_ratio": {k: round(v / (wire * 1000), 3) for k, v in lat.items() if k != "n"},
        },
        "with_status_rounds": {
            "what": "receipt_from_document, DLE EOT 1,2,4, render, write, DLE EOT 1,2,4 answered (agent order)",
            "wire_bytes": round(size + STATUS_WIRE_BYTES, 1),
            "wire_time_ms_at_115200": round(wire_checked * 1000, 3),
            "latency_ms": lat_checked,
            **({"connector_tcp_nodelay": checked["connector_tcp_nodelay"][0]} if transport == "tcp" else {}),
            "status_round_before_ms": summary(checked["before"], 1000),
            "status_round_after_ms": summary(checked["after"], 1000),
            "virtual_printer_receive_ms": summary(checked["printer"], 1000),
            "latency_to_wire_ratio": {k: round(v / (wire_checked * 1000), 3) for k, v in lat_checked.items()
                                      if k != "n"},
        },
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=100, help="rounds of the fixture corpus per mode")
    parser.add_argument("--receipts", type=int, default=300, help="receipts timed per transport and figure")
    parser.add_argument("--warmup", type=int, default=10, help="receipts sent first and not counted")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "benchmark": "printer",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": sys.platform},
        "interpreter": interpreter_throughput(args.passes),
        "wire_note": "a pty does not pace bytes at its baud rate, so the wire time is computed "
                     f"(bytes x {BITS_PER_BYTE} / {BAUD} s) and latency / wire time is how much of a real "
                     "line's time the software adds; the virtual printer runs in this process, so its own "
                     "receive time is inside the latency and shown apart",
    }
    transports = ["pty", "tcp"] if os.name == "posix" else ["tcp"]
    result["receipt"] = {transport: receipt_latency(transport, args.receipts, args.warmup) for transport in transports}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
