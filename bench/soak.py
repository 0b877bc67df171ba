"""Soak: ten thousand sales, faults mixed in, through real transports, with the agent in a process of its own.

The agent (`bench.agent_process`, the same `Station` as `recoup agent`) sells for `bench.soak_cashier`
against the virtual devices in this process: the card reader on a pty, the acquirer and the printer on
loopback TCP, a real SQLite journal with fsync. The faults of a working day come on a seeded schedule —
link dropped after the charge, request lost, declines, paper out mid-receipt, cover open, line noise, bad
swipes — and the cashier recovers from each as the screen asks. The agent's resident memory is sampled
from /proc every second.

Afterwards the money rules are held against the ground truth (`simulator.moneyrules`: the acquirer's
ledger, every request it received, every piece of paper the printer put out) and the agent's data dir is
scanned for card data and contact details in clear, and for file modes (`bench.scan`).

Prints JSON: throughput; per kind of sale, wall time p50/p99; for clean sales the agent's own share
(card read committed → 0200 sent, 0210 journaled → receipt sent: the journal's fsyncs and the flows, without
the acquirer, the printer or the pty) p50/p99; RSS at the start, the end and its growth per thousand
sales; lost, charged twice, unmarked duplicate receipts and every other violation; the scan. Exit 1 on any
violation, stuck sale or scan finding.

Usage: python -m bench.soak [--sales N] [--seed N] [--keep DIR]     (POSIX: ptys, /proc)
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
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.config import JournalSettings, Settings
from agent.journal import Journal
from agent.station import start_devices
from bench.agent_process import DeviceHost, context
from bench.scan import scan_data_dir
from bench.stats import summary
from domain.clock import VirtualClock
from simulator import moneyrules
from simulator.replay.scenario import DEFAULT_START

TERMINAL = Settings().host.terminal_id
WARM_UP = 0.05  # the share of the run after which the agent's memory is taken as its starting size


def classify(violations: list[str]) -> dict[str, int]:
    """The soak's three promises, counted from the audit's words (simulator.moneyrules says each)."""
    return {
        "lost": sum(("believes" in v or "no record" in v or "never sent" in v) for v in violations),
        "charged_twice": sum("charged twice" in v or "two receipts" in v for v in violations),
        "unmarked_duplicate_receipts": sum("without the" in v for v in violations),
    }


def rss(samples: list[tuple[float, int]], sales: int) -> dict[str, Any]:
    if not samples:
        return {"samples": 0}
    end = samples[-1][0] or 1.0
    start = next((kb for at, kb in samples if at >= WARM_UP * end), samples[0][1])
    last = samples[-1][1]
    return {"samples": len(samples), "start_mb": round(start / 1024, 1), "end_mb": round(last / 1024, 1),
            "max_mb": round(max(kb for _, kb in samples) / 1024, 1), "growth_mb": round((last - start) / 1024, 1),
            "growth_kb_per_1000_sales": round((last - start) / max(1, sales * (1 - WARM_UP)) * 1000, 1)}


async def soak(sales: int, seed: int, workdir: Path, paper_out: Path, *, progress: bool = False) -> dict[str, Any]:
    settings = Settings(journal=JournalSettings(workdir / "journal.sqlite"))
    workdir.mkdir(parents=True, exist_ok=True)
    clock = VirtualClock(datetime.fromisoformat(DEFAULT_START))
    devices = await start_devices(settings, clock, seed)
    try:
        host = DeviceHost(devices, clock, smtp_port=0)
        began = time.perf_counter()
        run = await host.run(context(), host.job(mode="soak", workdir=str(workdir), seed=seed, sales=sales,
                                                 progress_every=max(1, sales // 20)),
                             sample_rss=1.0, on_progress=_progress(sales) if progress else None)
        wall = time.perf_counter() - began
        journal = Journal.open(workdir / "journal.sqlite", clock=VirtualClock())
        try:
            audited = moneyrules.audit(
                journal, devices.acquirer.ledger, TERMINAL,
                received=[(mti, stan) for sender, mti, stan in devices.acquirer.received if sender == TERMINAL],
                paper=[(paper.text, paper.torn) for paper in devices.printer.receipts])
            started = journal.query("SELECT COUNT(*) FROM events WHERE kind = 'sale_started'")[0][0]
        finally:
            journal.close()
        paper_out.write_text("\n\f\n".join(paper.text for paper in devices.printer.receipts), encoding="utf-8")
        ledger = devices.acquirer.ledger
        charged = sum(entry.charge for entry in ledger.entries if entry.terminal_id == TERMINAL)
    finally:
        await devices.close()
    done = run.summary
    if "error" in done:
        return {"bench": "soak", "error": done["error"], "traceback": done.get("traceback"), "exit": run.exitcode}
    contacts = done.pop("contacts", [])
    scanned = scan_data_dir(workdir, contacts=contacts, extra=[paper_out])
    walls = done.pop("walls")
    shares = done.pop("agent_share")
    return {
        "bench": "soak", "python": platform.python_version(), "cpus": os.cpu_count(), "seed": seed,
        "sales": sales, "done": done["done"], "stuck": done["stuck"],
        "throughput_sales_per_s": round(sales / wall, 1), "wall_s": round(wall, 1), "virtual_s": done["virtual_s"],
        "sale_wall_ms": {kind: summary(values, 1000, 1) for kind, values in sorted(walls.items())},
        "agent_share_ms": summary(shares, 1000, 2) if shares else None,
        "rss": rss(run.rss_kb, sales),
        "money": {"sales_on_record": started, "receipts_queued": audited.receipts, "paper": audited.paper,
                  "net_charged": charged, **classify(audited.violations), "violations": audited.violations},
        "contacts_left": len(contacts),
        "journal_mb": round((workdir / "journal.sqlite").stat().st_size / 2**20, 1),
        "scan": scanned,
    }


def _progress(sales: int):
    def show(done: int, seconds: float) -> None:
        print(f"  {done}/{sales} sales, {seconds:.0f} s", file=sys.stderr, flush=True)
    return show


def failed(report: dict[str, Any]) -> bool:
    money = report.get("money", {})
    return bool("error" in report or report.get("stuck") or money.get("violations")
                or not report.get("scan", {}).get("clean", False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the agent's data dir and the paper here")
    args = parser.parse_args(argv)
    if os.name != "posix":
        parser.error("the soak needs POSIX: the reader's pty and /proc for the agent's memory")
    with tempfile.TemporaryDirectory(prefix="recoup-soak-") as temporary:
        folder = args.keep or Path(temporary)
        report = asyncio.run(soak(args.sales, args.seed, folder / "data", folder / "paper.txt",
                                  progress=sys.stderr.isatty()))
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
