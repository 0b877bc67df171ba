"""Reconciliation benchmark: a settlement file of N lines against a journal of N card transactions.

For each N (`--sizes`, default 10^4, 10^5, 10^6) a journal is built on disk (SQLite WAL,
synchronous=FULL, as the agent keeps it) holding N approved sales as the agent journals them — the
0200 request before the wire, then the 0210 answer — spread over 30 days, and the acquirer's settlement
file for them is written in the virtual acquirer's format, each line paid on its sale's due day (T+1
business days), with 0.1 % of the sales left out (未到账), 0.01 % written twice and 0.01 % with another
amount. Building is not timed.

Then a fresh process (so its peak RSS is the reconciliation's alone) runs what `recoup reconcile FILE`
runs, in two timed phases:
  import — the file read a line at a time and journaled in chunks, each line matched to its sale;
  check  — every line classified, every sale held against the files, an unsettled case opened for each
           missing one (each case a durable commit, its customer's notice drafted), the report built.
Reported per N: seconds per phase (wall), the process's CPU seconds over both, lines per second, peak
RSS (ru_maxrss) and the journal's size; then, between consecutive sizes, how time, CPU time and peak RSS
grew for a tenfold file — time should grow about tenfold (linear, with the log of the indexes' depth)
and peak RSS hardly at all (streaming, bounded memory). On a shared machine the wall times move with the
load; the CPU times much less.

Usage: python -m bench.reconcile [--sizes 10000,100000,1000000] [--dir PATH]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.cases import CaseStore
from agent.journal import Journal
from agent.outbox import Outbox
from agent.reconcile.calendar import expected_settlement
from agent.reconcile.importer import import_file
from agent.reconcile.report import Report
from agent.reconcile.run import Reconciliation
from agent.reconcile.settings import ReconcileSettings
from domain.clock import VirtualClock
from simulator.host.settlement import COLUMNS

TERMINAL, MERCHANT = "TERM0001", "MERCHANT0000001"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
DAYS = 30
OMIT, DUPLICATE, AMOUNT = 1000, 10000, 10000  # every 1000th sale left out, every 10000th doubled / altered
BATCH = 10_000  # sales per journal transaction while building
SETTINGS = ReconcileSettings()  # T+1 business days, no holidays: each line is paid on its due day


def build(directory: Path, size: int) -> dict[str, Any]:
    """The journal of `size` approved sales and the acquirer's file for them (not timed)."""
    clock = VirtualClock(start=START)
    step = DAYS * 86400 / size
    omitted = 0
    with Journal.open(directory / "journal.sqlite", clock=clock) as journal, \
            (directory / "settlement.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for first in range(0, size, BATCH):
            with journal.transaction():
                for number in range(first, min(first + BATCH, size)):
                    clock.advance(step)
                    line = _sale(journal, clock.now(), number)
                    if number % OMIT == OMIT - 1:
                        omitted += 1
                        continue
                    if number % AMOUNT == AMOUNT - 2:
                        line[6] = f"{int(line[6].split('.')[0]) + 1}.00"
                    settled_on = expected_settlement(date.fromisoformat(line[0]), SETTINGS).isoformat()
                    writer.writerow([*line, settled_on])
                    if number % DUPLICATE == DUPLICATE - 3:
                        writer.writerow([*line, settled_on])
    return {"omitted": omitted}


def _sale(journal: Journal, now: datetime, number: int) -> list[str]:
    stan = f"{number % 999_999 + 1:06d}"
    minor = 1000 + number % 9000 * 10  # 10.00 .. 909.90, never an amount ending the host declines
    request = {"t": "0200", "2": "411111******1111", "3": "000000", "4": f"{minor:012d}",
               "7": now.strftime("%m%d%H%M%S"), "11": stan, "12": now.strftime("%H%M%S"), "13": now.strftime("%m%d"),
               "14": "3012", "22": "051", "25": "00", "41": TERMINAL, "42": MERCHANT, "49": "156"}
    rrn, auth = f"{number:012d}", f"A{number % 100000:05d}"
    sale = f"sale-{number + 1}"
    journal.append("host_request", {"request": request}, stream=sale)
    response = {key: request[key] for key in ("3", "4", "7", "11", "12", "13", "22", "25", "41", "42", "49")}
    journal.append("host_response", {"request": request, "response": response | {"t": "0210", "37": rrn,
                                                                                  "38": auth, "39": "00"}},
                   stream=sale)
    return [now.date().isoformat(), TERMINAL, MERCHANT, stan, rrn, "411111******1111",
            f"{minor // 100}.{minor % 100:02d}", "CNY", auth]


def measure(directory: Path) -> dict[str, Any]:
    """Run in a fresh process: reconcile the file against the journal, timed by phase, with peak RSS."""
    rss_before = _rss_mb()
    clock = VirtualClock(start=START + timedelta(days=DAYS + 1, hours=2))
    path = directory / "settlement.csv"
    with Journal.open(directory / "journal.sqlite", clock=clock) as journal:
        settings = SETTINGS
        store = CaseStore(journal, clock)
        began, cpu_began = time.perf_counter(), time.process_time()
        imported = import_file(journal, path, settings, "CNY", settlement_date=None,
                               today=clock.now().date())
        imported_at = time.perf_counter()
        report = Reconciliation(journal, settings, store, Outbox(journal, "bench"), TERMINAL, "CNY").run(
            Report(), path)
        done, cpu = time.perf_counter(), time.process_time() - cpu_began
    return {"lines": imported.lines, "import_s": round(imported_at - began, 3),
            "check_s": round(done - imported_at, 3), "total_s": round(done - began, 3), "cpu_s": round(cpu, 3),
            "lines_per_s": round(imported.lines / (done - began)),
            "peak_rss_mb": _rss_mb(), "rss_at_start_mb": rss_before,
            "counts": dict(sorted(report.counts.items())), "cases_opened": report.cases_opened,
            "journal_mb": round(sum(p.stat().st_size for p in directory.glob("journal.sqlite*")) / 2**20, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1)}


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x],
                        default=[10_000, 100_000, 1_000_000], help="settlement lines (and sales) per run")
    parser.add_argument("--dir", type=Path, default=None, help="where the journals go (default: a temp dir)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's part
    args = parser.parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args.measure)))
        return 0
    runs = []
    with tempfile.TemporaryDirectory(prefix="recoup-bench-reconcile-", dir=args.dir) as base:
        for size in args.sizes:
            directory = Path(base) / str(size)
            directory.mkdir()
            started = time.perf_counter()
            built = build(directory, size)
            build_s = round(time.perf_counter() - started, 1)
            child = subprocess.run([sys.executable, "-m", "bench.reconcile", "--measure", str(directory)],
                                   check=True, capture_output=True, text=True)
            runs.append({"size": size, "build_s_untimed_phase": build_s} | built | json.loads(child.stdout))
    growth = [{"from": low["size"], "to": high["size"],
               "time_ratio": round(high["total_s"] / low["total_s"], 2),
               "cpu_ratio": round(high["cpu_s"] / low["cpu_s"], 2),
               "lines_ratio": round(high["lines"] / low["lines"], 2),
               "peak_rss_ratio": round(high["peak_rss_mb"] / low["peak_rss_mb"], 2)}
              for low, high in itertools.pairwise(runs)]
    print(json.dumps({
        "benchmark": "reconcile",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": sys.platform},
        "what": "recoup reconcile FILE: N settlement lines against N journaled sales; 0.1 % omitted, "
                "0.01 % doubled, 0.01 % another amount",
        "runs": runs,
        "growth": growth,
    }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
