"""`recoup replay PATH...`: replay scenario files (or folders of them) headless against the agent's real
wiring and the virtual devices, on a virtual clock; report each step; exit 1 if any scenario fails."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "replay", help="replay scenario files headless on a virtual clock; exit 1 if any fails",
        description="Replay scenario files (YAML, see docs/scenarios.md) or folders of them against the agent's "
        "real wiring and the built-in virtual card reader, printer and acquirer, on a virtual clock. Each step "
        "is reported; the run exits 1 if any scenario fails or cannot be loaded.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a scenario file, or a folder of them")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write a JUnit XML report to FILE (for CI)")
    parser.add_argument("--seed", type=int, help="seed for the devices' random choices, instead of each "
                        "scenario's own (the same seed replays the same way)")
    parser.add_argument("--jobs", type=int, default=4, metavar="N",
                        help="replay N scenarios side by side (default 4; each has its own agent and devices)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep each scenario's journal in DIR/<NNN-name>/ (recoup journal --journal …)")
    parser.add_argument("--failures-only", action="store_true", help="print the steps of failed scenarios only")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (it is shown on a terminal only)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    from simulator.replay import report
    from simulator.replay.runner import load_all, scenario_files

    missing = [path for path in args.paths if not path.exists()]
    if missing:
        print(f"recoup replay: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("recoup replay: --jobs takes a whole number from 1", file=sys.stderr)
        return 2
    files = scenario_files(args.paths)
    if not files:
        print(f"recoup replay: no scenario files (*.yaml, *.yml) in {', '.join(map(str, args.paths))}",
              file=sys.stderr)
        return 2
    scenarios, unloadable = load_all(files)
    for problem in unloadable:
        print(report.unloadable_text(problem), flush=True)
    began = time.perf_counter()
    results = asyncio.run(_replay(scenarios, args))
    wall = time.perf_counter() - began
    for result in results:
        if not (args.failures_only and result.passed):
            print(report.scenario_text(result))
    print(report.summary(results, unloadable, wall))
    if args.junit is not None:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_bytes(report.junit(results, unloadable, wall))
        print(f"JUnit report: {args.junit}")
    return 0 if not unloadable and all(result.passed for result in results) else 1


async def _replay(scenarios, args):
    from simulator.replay.runner import replay_all

    if args.no_progress or not sys.stderr.isatty() or not scenarios:
        return await replay_all(scenarios, seed=args.seed, jobs=args.jobs, keep=args.keep)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[failed]}"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("replay", total=len(scenarios), failed="")
        failed = 0

        def done(result) -> None:
            nonlocal failed
            failed += not result.passed
            progress.update(task, advance=1, failed=f"{failed} failed" if failed else "")

        return await replay_all(scenarios, seed=args.seed, jobs=args.jobs, keep=args.keep, on_done=done)
