"""Acquirer host benchmark: the agent's authorization path and its dead-link detection, on a real clock.

The Counter (flows, journal, HostService, HostClient) runs against the VirtualAcquirer over loopback TCP
in one event loop, with `RealClock` and a real `Journal` in a temporary directory on disk (SQLite WAL,
synchronous=FULL: every append is a durable, fsynced commit), exactly as the agent runs at a counter.
Nothing in the product is changed: timestamps come from wrapping, inside this benchmark, the client's
stream reader and writer, its event callback, the journal's `append` and `query`, and `on_prompt`.

1. Authorization overhead, one sale at a time (`--sales`, after `--warmup` sales not counted):
   (a) `counter.device_event(CardRead)` called → the request's bytes handed to the socket (the client's
       `StreamWriter.write` returned; the bytes leave synchronously into the kernel);
   (b) the client's `reader.read` returned the bytes that completed the response → the flow's next
       effects: the `receipt_to_print` journal append committed, and the `sale.approved` prompt shown
       (`on_prompt`).
   Both are the agent's own work (and its fsyncs); the loopback round trip and the acquirer's work in
   between are reported apart, with sales/s over the whole run (start_sale → approved, one after another).
   The journal appends on each path are listed, with the time one append takes in the same run, and
   the p50 of the first and the last tenth of the run shows what grows with the journal: the Counter's
   "receipt already journaled?" query (timed alone by wrapping `journal.query`) scans every receipt.
   At this rate every STAN stays in the link's 600 s late window, which a real counter never reaches.
2. Dead-link detection with the DEFAULT HostSettings (echo every 5 s of silence, 2 s to answer, 30 s
   authorization timeout): the acquirer becomes a black hole (`black_hole(times=None)`: it reads and
   answers nothing, echoes included) and `--in-flight` sales are sent into it; measured is the real time
   from each request leaving to the cashier's `network.outcome_unknown` prompt. One trial per
   `--phases` value: the sale leaves that many seconds after the host's last answer, so the expected
   detection is echo_interval - phase + echo_deadline (phase 0 is the worst case, ~7 s). It is compared
   with waiting out the 30 s authorization timeout: the CONFIGURED timeout unless `--measure-timeout`,
   which really waits, the same black hole with the idle echo turned off.

Usage: python -m bench.host [--sales N] [--warmup N] [--phases 0,2.5] [--in-flight N]
                            [--measure-timeout] [--dir PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.config import HostSettings
from agent.counter import Counter
from agent.host import HostService
from agent.journal import Journal
from bench.stats import summary
from domain.card import CardHasher
from domain.clock import RealClock
from domain.events import CardRead, EntryMode, LinkDown
from domain.money import Money
from drivers.host import link as hostlink
from simulator.cardreader.wallet import WALLET
from simulator.host.server import VirtualAcquirer

HASHER = CardHasher(b"bench-card-hash-secret-32-bytes!")
CARD = WALLET["visa"].to_card()
CARD_HASH = HASHER(CARD.pan).hex
WAIT = 15.0


def frame_mtis(data: bytes) -> list[str]:
    """The MTIs of the 2-byte-length-framed default_ascii messages in one write."""
    mtis, offset = [], 0
    while offset + 6 <= len(data):
        length = int.from_bytes(data[offset:offset + 2], "big")
        mtis.append(data[offset + 2:offset + 6].decode("ascii", "replace"))
        offset += 2 + length
    return mtis


class Rig:
    """One counter, its journal on disk, and a virtual acquirer, with the timestamps the figures need."""

    def __init__(self, directory: Path, settings: HostSettings) -> None:
        self.directory = directory
        self.settings = settings
        self.clock = RealClock()
        self.writes: list[tuple[float, list[str]]] = []  # (write returned, MTIs in it)
        self.last_read = 0.0  # when the client's read last returned bytes
        self.responses: dict[str, float] = {}  # sale id -> read that completed its response
        self.receipts: dict[str, float] = {}  # sale id -> receipt_to_print committed
        self.prompts: list[tuple[float, str, str | None]] = []  # (shown, prompt id, sale id)
        self.appends: list[tuple[float, float, str]] = []  # (called, committed, kind)
        self.link_events: list[tuple[float, Any]] = []  # LinkDead / RequestUnanswered / LinkDown
        self.receipt_checks: list[float] = []  # the counter's "receipt already journaled?" query, seconds
        self._waiters: list[tuple[str, str | None, asyncio.Future[float]]] = []
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.acquirer = VirtualAcquirer(self.clock)
        await self.acquirer.start()
        self.journal = Journal.open(self.directory / "journal.sqlite", clock=self.clock)
        append = self.journal.append

        def timed_append(kind: str, payload: dict, **kw: Any):
            called = time.perf_counter()
            event = append(kind, payload, **kw)
            committed = time.perf_counter()
            self.appends.append((called, committed, kind))
            if kind == "receipt_to_print":
                self.receipts[kw.get("stream") or ""] = committed
            return event

        self.journal.append = timed_append  # type: ignore[method-assign]
        query = self.journal.query

        def timed_query(sql: str, params: tuple = ()) -> list[tuple]:
            called = time.perf_counter()
            rows = query(sql, params)
            if "receipt_to_print" in sql:
                self.receipt_checks.append(time.perf_counter() - called)
            return rows

        self.journal.query = timed_query  # type: ignore[method-assign]
        self.host = HostService(self.journal, self.clock, self.settings,
                                address=(self.acquirer.host, self.acquirer.port),
                                on_event=lambda event: self.counter.device_event(event))
        client = self.host.client
        client._open = self._open  # type: ignore[assignment]
        on_event = client._on_event

        def timed_event(event: Any) -> None:
            if isinstance(event, hostlink.Response):
                self.responses[event.tag] = self.last_read
            elif isinstance(event, hostlink.LinkDead | hostlink.RequestUnanswered | LinkDown):
                self.link_events.append((time.perf_counter(), event))
            on_event(event)
            self._changed.set()

        client._on_event = timed_event
        self.counter = Counter(self.journal, self.clock, hasher=HASHER, host=self.host,
                               auth_timeout=self.settings.auth_timeout, on_prompt=self._on_prompt)
        self.task = asyncio.create_task(self.counter.run())
        await self.until(lambda: self.host.up)

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port)
        read, write = reader.read, writer.write

        async def timed_read(size: int = -1) -> bytes:
            data = await read(size)
            self.last_read = time.perf_counter()
            return data

        def timed_write(data: bytes) -> None:
            write(data)
            self.writes.append((time.perf_counter(), frame_mtis(bytes(data))))

        reader.read = timed_read  # type: ignore[method-assign]
        writer.write = timed_write  # type: ignore[method-assign]
        return reader, writer

    def _on_prompt(self, flow_id: str, prompt: Any) -> None:
        now = time.perf_counter()
        flow = self.counter.flows.get(flow_id)
        sale_id = flow.ctx.sale.sale_id if flow is not None and flow.ctx.sale is not None else None
        self.prompts.append((now, prompt.prompt_id, sale_id))
        for prompt_id, sale, future in self._waiters:
            if prompt_id == prompt.prompt_id and sale in (None, sale_id) and not future.done():
                future.set_result(now)
        self._waiters = [waiter for waiter in self._waiters if not waiter[2].done()]
        self._changed.set()

    def expect(self, prompt_id: str, sale_id: str | None = None) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((prompt_id, sale_id, future))
        return future

    async def until(self, condition, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - time.monotonic()))

    def sale(self, amount: Money) -> tuple[str, float, float]:
        """Start a sale and read its card: (sale id, card fed, request written)."""
        sale_id = self.counter.start_sale(amount)
        mark = len(self.writes)
        fed = time.perf_counter()
        self.counter.device_event(CardRead(CARD, EntryMode.CHIP, card_hash=CARD_HASH))
        sent = [(at, mtis) for at, mtis in self.writes[mark:] if "0200" in mtis]
        if not sent:
            raise RuntimeError(f"{sale_id}: the card read did not put a 0200 on the wire")
        return sale_id, fed, sent[0][0]

    async def stop(self) -> None:
        self.counter.stop()
        await asyncio.wait_for(self.task, WAIT)
        await self.acquirer.close()
        self.journal.close()


def first_vs_last_tenth(samples: list[float]) -> dict[str, float]:
    """p50 (ms) of the first and the last tenth of the run, to show growth with the journal's size."""
    tenth = max(1, len(samples) // 10)
    return {"first_tenth_p50": summary(samples[:tenth], 1000)["p50"],
            "last_tenth_p50": summary(samples[-tenth:], 1000)["p50"]}


def kinds_between(rig: Rig, start: float, end: float) -> list[str]:
    return [kind for called, _, kind in rig.appends if start <= called <= end]


async def authorization(directory: Path, sales: int, warmup: int) -> dict:
    rig = Rig(directory, HostSettings())
    await rig.start()
    to_wire, to_receipt, to_prompt, round_trip, whole = [], [], [], [], []
    try:
        echoes_before = sum(mtis.count("0800") for _, mtis in rig.writes)
        appends_before = len(rig.appends)
        paths: dict[str, list[str]] = {}
        started = 0.0
        for index in range(warmup + sales):
            if index == warmup:
                started = time.perf_counter()
                echoes_before = sum(mtis.count("0800") for _, mtis in rig.writes)
                appends_before = len(rig.appends)
            amount = Money(1000 + 100 * (index % 50), "CNY")  # ends in 00: approved
            began = time.perf_counter()
            approved = rig.expect("sale.approved")
            sale_id, fed, sent = rig.sale(amount)
            shown = await asyncio.wait_for(approved, WAIT)
            if index < warmup:
                continue
            answered, receipt = rig.responses[sale_id], rig.receipts[sale_id]
            to_wire.append(sent - fed)
            round_trip.append(answered - sent)
            to_receipt.append(receipt - answered)
            to_prompt.append(shown - answered)
            whole.append(shown - began)
            if not paths:
                paths = {"card_read_to_request_written": kinds_between(rig, fed, sent),
                         "response_read_to_receipt_journaled": kinds_between(rig, answered, receipt),
                         "response_read_to_approved_prompt": kinds_between(rig, answered, shown)}
        elapsed = time.perf_counter() - started
        echoes = sum(mtis.count("0800") for _, mtis in rig.writes) - echoes_before
        append_times = [committed - called for called, committed, _ in rig.appends[appends_before:]]
        approved_in_ledger = rig.acquirer.ledger.net_charge("visa")
        checks = rig.receipt_checks[-sales:]
        remembered = len(rig.host.client.link._finished)
    finally:
        await rig.stop()
    append = summary(append_times, 1000)
    a, b = summary(to_wire, 1000), summary(to_receipt, 1000)
    return {
        "sales": sales,
        "warmup_sales_not_counted": warmup,
        "seconds": round(elapsed, 3),
        "sales_per_second": round(sales / elapsed, 1),
        "approved_total_minor_units_at_acquirer": approved_in_ledger,
        "echoes_sent_during_run": echoes,
        "a_card_read_to_request_written_ms": a,
        "b_response_read_to_receipt_journaled_ms": b,
        "b_response_read_to_approved_prompt_ms": summary(to_prompt, 1000),
        "growth_over_the_run_ms": {
            "a_card_read_to_request_written": first_vs_last_tenth(to_wire),
            "b_response_read_to_receipt_journaled": first_vs_last_tenth(to_receipt),
            "receipt_already_printed_query (Counter._print)": first_vs_last_tenth(checks),
            "journal_append": first_vs_last_tenth(append_times),
        },
        "round_trip_request_written_to_response_read_ms": summary(round_trip, 1000),
        "round_trip_note": "loopback TCP + the virtual acquirer in the same process and event loop; not agent work",
        "start_sale_to_approved_prompt_ms": summary(whole, 1000),
        "journal_append_ms (each append; a durable commit only when outside the per-event transaction)": append,
        "journal_appends_on_path": paths,
        "host_link_finished_stans_remembered_at_end": remembered,
        "p50_over_one_append_p50": {"a": round(a["p50"] / append["p50"], 2),
                                    "b_receipt": round(b["p50"] / append["p50"], 2)},
    }


async def dead_link(directory: Path, settings: HostSettings, phase: float, in_flight: int) -> dict:
    """Send `in_flight` sales into a black hole `phase` s after the host's last answer; time each one's
    request → `network.outcome_unknown`."""
    rig = Rig(directory, settings)
    await rig.start()
    try:
        await asyncio.sleep(max(0.0, rig.last_read + phase - time.perf_counter()))
        rig.acquirer.black_hole(times=None)
        answered_at = rig.last_read
        sent: dict[str, float] = {}
        waits = []
        for index in range(in_flight):
            sale_id = rig.counter.start_sale(Money(2000 + 100 * index, "CNY"))
            waits.append((sale_id, rig.expect("network.outcome_unknown", sale_id)))
            mark = len(rig.writes)
            rig.counter.device_event(CardRead(CARD, EntryMode.CHIP, card_hash=CARD_HASH))
            sent[sale_id] = next(at for at, mtis in rig.writes[mark:] if "0200" in mtis)
        limit = settings.auth_timeout + settings.echo_interval + WAIT
        shown = {sale_id: await asyncio.wait_for(future, limit) for sale_id, future in waits}
        first_sent = min(sent.values())
        since_answer = first_sent - answered_at
        echoes = [at for at, mtis in rig.writes if "0800" in mtis and at > first_sent]
        dead = [(at, event.reason) for at, event in rig.link_events if isinstance(event, hostlink.LinkDead)]
        unanswered = [event.reason for _, event in rig.link_events if isinstance(event, hostlink.RequestUnanswered)]
        detection = [shown[sale_id] - sent[sale_id] for sale_id in sent]
        prompts = {sale_id: [p for _, p, s in rig.prompts if s == sale_id] for sale_id in sent}
        paused = rig.counter.screen.card_payments_paused
        charged = rig.acquirer.ledger.net_charge("visa")
    finally:
        await rig.stop()
    echo_on = settings.echo_interval < settings.auth_timeout
    result = {
        "sales_in_flight": in_flight,
        "sale_sent_after_last_host_answer_s": round(since_answer, 3),
        "request_to_outcome_unknown_s": [round(d, 3) for d in detection],
        "expected_s": round((settings.echo_interval - since_answer + settings.echo_deadline) if echo_on
                            else settings.auth_timeout, 3),
        "request_to_echo_sent_s": round(echoes[0] - first_sent, 3) if echoes else None,
        "echo_sent_to_link_dead_s": round(dead[0][0] - echoes[0], 3) if dead and echoes else None,
        "link_dead_to_prompt_ms": round((max(shown.values()) - dead[0][0]) * 1000, 3) if dead else None,
        "link_dead_reason": dead[0][1] if dead else None,
        "request_unanswered_reason": unanswered[0] if unanswered else None,
        "prompts_per_sale": prompts,
        "card_payments_paused": paused,
        "charged_at_acquirer_minor_units": charged,
    }
    if not echo_on:
        for key in ("request_to_echo_sent_s", "echo_sent_to_link_dead_s", "link_dead_to_prompt_ms",
                    "link_dead_reason", "sale_sent_after_last_host_answer_s"):
            result.pop(key)
    return result


def filesystem_of(path: Path) -> str:
    try:
        mounts = [line.split()[:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    target = str(path.resolve())
    best = max((m for m in mounts if target == m[1] or target.startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    return f"{best[2]} ({best[1]})" if best else "unknown"


async def run(args: argparse.Namespace, base: Path) -> dict:
    defaults = HostSettings()
    result: dict[str, Any] = {
        "benchmark": "host",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": sys.platform,
                    "journal_dir": str(base), "journal_filesystem": filesystem_of(base)},
        "clock": "RealClock; journal: SQLite WAL synchronous=FULL on disk",
        "authorization": await authorization(base / "throughput", args.sales, args.warmup),
    }
    trials = []
    for number, phase in enumerate(args.phases):
        phase = min(phase, defaults.echo_interval - 0.05)
        trials.append({"phase_s": phase} | await dead_link(base / f"dead-{number}", defaults, phase, args.in_flight))
    detections = [d for trial in trials for d in trial["request_to_outcome_unknown_s"]]
    if args.measure_timeout:
        no_echo = replace(defaults, echo_interval=defaults.auth_timeout * 100)
        waited = await dead_link(base / "timeout", no_echo, 0.0, args.in_flight)
        timeout = {"seconds": max(waited["request_to_outcome_unknown_s"]), "measured": True,
                   "how": "same black hole with the idle echo off (echo_interval 3000 s): the sale's own "
                          "30 s authorization timer decides"} | waited
    else:
        timeout = {"seconds": defaults.auth_timeout, "measured": False,
                   "how": "the CONFIGURED authorization timeout (HostSettings.auth_timeout), not measured; "
                          "run with --measure-timeout to wait it out"}
    result["dead_link"] = {
        "settings": {"echo_interval_s": defaults.echo_interval, "echo_deadline_s": defaults.echo_deadline,
                     "auth_timeout_s": defaults.auth_timeout, "source": "agent.config.HostSettings defaults"},
        "fault": "acquirer.black_hole(times=None): requests and echoes read, never answered; connection left open",
        "trials": trials,
        "detection_s": {"min": round(min(detections), 3), "max": round(max(detections), 3),
                        "bound_from_last_host_answer_s": defaults.echo_interval + defaults.echo_deadline,
                        "bound_note": "plus the agent's few ms from LinkDead to the prompt"},
        "authorization_timeout": timeout,
        "timeout_over_detection": {"worst_trial": round(timeout["seconds"] / max(detections), 2),
                                   "best_trial": round(timeout["seconds"] / min(detections), 2)},
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sales", type=int, default=2000, help="sales timed for the authorization overhead")
    parser.add_argument("--warmup", type=int, default=20, help="sales run first and not counted")
    parser.add_argument("--phases", type=lambda s: [float(x) for x in s.split(",") if x], default=[0.0, 2.5],
                        help="dead-link trials: seconds after the host's last answer that each sale leaves")
    parser.add_argument("--in-flight", type=int, default=1, help="sales outstanding when the link dies")
    parser.add_argument("--measure-timeout", action="store_true", help="really wait out the 30 s timeout")
    parser.add_argument("--dir", type=Path, default=None, help="where the journals go (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recoup-bench-host-", dir=args.dir) as base:
        result = asyncio.run(run(args, Path(base)))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
