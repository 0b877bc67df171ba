"""Crash injection: the agent killed with SIGKILL at every instrumented point of a sale, a reversal, a void,
a refund, a print and a notification; restarted; recovered; held to the money rules.

For each kind, a scenario of the library is replayed once whole by an agent in a process of its own
(`bench.agent_process`) against virtual devices in this one, to number its points — every journal commit,
every financial ISO 8583 message, print job and e-mail sent. Then, for each point in turn, on fresh devices
and a fresh journal: the scenario again, the agent SIGKILLed right after that point; a new agent process on
the journal it left, given virtual time until nothing is under way (a printer it left faulted is seen to,
as a cashier back at the counter would); and the money rules checked (`simulator.moneyrules`) against the
acquirer's ledger, the requests it received and the printer's paper.

Prints JSON: per kind, the points (named), the runs, how many were killed where meant, recovered, and
every violation with the point it followed; totals. Exit 1 on any violation or broken run.

Usage: python -m bench.crash [--kind KIND ...] [--runs N] [--jobs N] [--every N] [--seed N]
POSIX only (SIGKILL, ptys).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import JournalSettings, ReaderSettings, Settings
from agent.journal import Journal
from agent.notify import UNKNOWN
from agent.notify.history import histories
from agent.station import start_devices
from bench.agent_process import ChildRun, DeviceHost, context
from domain.clock import VirtualClock
from simulator import moneyrules
from simulator.mailserver import smtp_server
from simulator.replay.scenario import Scenario, load

ROOT = Path(__file__).resolve().parent.parent
# The scenario of the library that walks each kind of money movement past its points.
KINDS = {
    "sale": "clean-sale.yaml",
    "reversal": "network-drop-after-host.yaml",
    "void": "wrong-card-void.yaml",
    "refund": "wrong-card-refund-after-settlement.yaml",
    "print": "printer-paper-end-mid-receipt.yaml",
    "notification": "printer-silent-e-receipt.yaml",
}
TERMINAL = Settings().host.terminal_id


@dataclass
class Outcome:
    """One run: the scenario killed at a point (or not), the recovery, and what the audit found."""

    point: int | None
    name: str
    killed: bool = False
    recovered: bool = False
    violations: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the run itself went wrong: not a verdict on the agent
    e_mails: int = 0  # messages the mail relay received
    e_mails_on_record: int = 0  # of those, the journal says sent, or may have gone (unknown: never resent unasked)
    wall: float = 0.0


async def _run(scenario_path: Path, workdir: Path, kill_at: int | None, seed: int,
               ctx: Any) -> tuple[Outcome, ChildRun]:
    began = time.perf_counter()
    scenario = load(scenario_path)
    settings = Settings(reader=ReaderSettings(format=scenario.reader_format),
                        journal=JournalSettings(workdir / "journal.sqlite"))
    workdir.mkdir(parents=True)
    inbox: list[str] = []
    with smtp_server(inbox) as smtp_port:
        clock = VirtualClock(scenario.start)
        devices = await start_devices(settings, clock, seed)
        outcome = Outcome(kill_at, "")
        try:
            first = await _kill_and_recover(DeviceHost(devices, clock, smtp_port), ctx, scenario, workdir, kill_at,
                                            seed, outcome)
        finally:
            await devices.close()
    outcome.e_mails = len(inbox)
    outcome.wall = round(time.perf_counter() - began, 3)
    return outcome, first


async def _kill_and_recover(host: DeviceHost, ctx: Any, scenario: Scenario, workdir: Path, kill_at: int | None,
                            seed: int, outcome: Outcome) -> ChildRun:
    devices = host.devices
    scenario_path = scenario.path
    first = await host.run(ctx, host.job(mode="scenario", scenario=str(scenario_path), workdir=str(workdir),
                                         seed=seed, kill_at=kill_at))
    if kill_at is not None:
        outcome.name = first.points[kill_at - 1] if len(first.points) >= kill_at else "(never reached)"
        outcome.killed = first.killed
        if not first.killed:
            outcome.problems.append(f"not killed (exit {first.exitcode}): the run took another path, "
                                    f"{len(first.points)} points")
        recovery = await host.run(ctx, host.job(mode="recover", scenario=str(scenario_path),
                                                workdir=str(workdir), seed=seed))
        summary = recovery.summary
        if "error" in summary or recovery.exitcode != 0:
            outcome.problems.append(f"recovery broke (exit {recovery.exitcode}): {summary.get('error')}")
        outcome.recovered = bool(summary.get("recovered"))
        if not outcome.recovered:
            outcome.problems.append(f"not recovered: still under way {summary.get('under_way')}")
    elif first.exitcode != 0 or not first.summary.get("passed"):
        outcome.problems.append(f"the scenario did not pass whole (exit {first.exitcode}): "
                                f"{first.summary.get('failure') or first.summary.get('error')}")
    journal = Journal.open(workdir / "journal.sqlite", clock=VirtualClock(scenario.start))
    try:
        found = moneyrules.audit(
            journal, devices.acquirer.ledger, TERMINAL,
            received=[(mti, stan) for sender, mti, stan in devices.acquirer.received if sender == TERMINAL],
            paper=[(paper.text, paper.torn) for paper in devices.printer.receipts])
        outcome.e_mails_on_record = sum(
            history.state in ("sent", UNKNOWN) for history in histories(journal)
            if history.last is not None and history.last.payload.get("channel") == "email")
    finally:
        journal.close()
    outcome.violations = found.violations
    return first


async def crash_kind(kind: str, base: Path, *, runs: int = 1, jobs: int = 2, every: int = 1, seed: int = 0,
                     ctx: Any = None, also: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """Kill at every `every`th point of the kind's scenario (and at any point `also` names), `runs` times."""
    ctx = ctx or context()
    path = ROOT / "scenarios" / KINDS[kind]
    whole, counted = await _run(path, base / kind / "whole", None, seed, ctx)
    points = counted.points
    gate = asyncio.Semaphore(jobs)

    async def one(point: int, run: int) -> Outcome:
        async with gate:
            outcome, _ = await _run(path, base / kind / f"p{point}-r{run}", point, seed + run, ctx)
            return outcome

    chosen = [point for point, name in enumerate(points, 1)
              if (point - 1) % every == 0 or (also is not None and also(name))]
    outcomes = await asyncio.gather(*(one(point, run) for point in chosen for run in range(runs)))
    return {
        "scenario": f"scenarios/{KINDS[kind]}",
        "points": len(points),
        "named": points,
        "runs": len(outcomes),
        "killed": sum(o.killed for o in outcomes),
        "recovered": sum(o.recovered for o in outcomes),
        "violations": [f"after point {o.point} ({o.name}): {v}" for o in outcomes for v in o.violations]
        + [f"the whole scenario: {v}" for v in whole.violations],
        "problems": [f"point {o.point} ({o.name}): {p}" for o in outcomes for p in o.problems]
        + [f"the whole scenario: {p}" for p in whole.problems],
        "e_mails_per_run": sorted({o.e_mails for o in outcomes}),
        # delivered to the customer while the journal says neither sent nor unknown: a later send repeats it
        "e_mails_not_on_record": [f"point {o.point} ({o.name})" for o in outcomes if o.e_mails > o.e_mails_on_record],
        "wall_per_run_s": sorted(o.wall for o in outcomes)[len(outcomes) // 2] if outcomes else None,
    }


async def crash(kinds: list[str], *, runs: int = 1, jobs: int = 2, every: int = 1, seed: int = 0,
                base: Path | None = None) -> dict[str, Any]:
    ctx = context()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="recoup-crash-") as temporary:
        folder = base or Path(temporary)
        results = {kind: await crash_kind(kind, folder, runs=runs, jobs=jobs, every=every, seed=seed, ctx=ctx)
                   for kind in kinds}
    totals = {
        "points": sum(r["points"] for r in results.values()),
        "runs": sum(r["runs"] for r in results.values()),
        "killed": sum(r["killed"] for r in results.values()),
        "recovered": sum(r["recovered"] for r in results.values()),
        "violations": sum(len(r["violations"]) for r in results.values()),
        "problems": sum(len(r["problems"]) for r in results.values()),
        "wall_s": round(time.perf_counter() - began, 1),
    }
    return {"bench": "crash", "python": platform.python_version(), "cpus": os.cpu_count(), "runs_per_point": runs,
            "every": every, "seed": seed, "totals": totals, "kinds": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", action="append", choices=list(KINDS), help="only this kind (repeatable)")
    parser.add_argument("--runs", type=int, default=1, help="runs per point, each with its own seed (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    parser.add_argument("--every", type=int, default=1, help="kill at every Nth point only (default: every point)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep each run's journal here")
    args = parser.parse_args(argv)
    if os.name != "posix":
        parser.error("crash injection needs POSIX: SIGKILL and ptys")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(crash(args.kind or list(KINDS), runs=args.runs, jobs=args.jobs, every=args.every,
                               seed=args.seed, base=args.keep))
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    print()
    totals = report["totals"]
    return 1 if totals["violations"] or totals["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
