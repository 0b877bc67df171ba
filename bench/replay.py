"""Replay benchmark: the scenario library's wall time against the virtual time it covers.

Each scenario is replayed as `recoup replay` does — a Station of the agent's real wiring against the
virtual devices on real transports (pty, loopback TCP), a real SQLite journal on disk, on a virtual clock —
`--rounds` times, one scenario at a time (`--jobs 1`, so a scenario's wall time is its own), and then the
whole library once more `--jobs` at a time, as the test suite and CI run it.

Reported, from one run:
- per scenario: the virtual time it covers, its wall time (p50/p99 over the rounds), the speed-up
  (virtual / wall) and how many quiet spells it waited (the replay's main wall cost: 50 ms each);
- over the library: wall and virtual totals one at a time and side by side, the speed-up ratios, and
  the p50/p99 of scenario wall times;
- every failure (the figures of a library that does not pass mean nothing).

Usage: python -m bench.replay [PATH ...] [--rounds N] [--jobs N]
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
from pathlib import Path

from bench.stats import percentile, summary
from simulator.replay.engine import Replay
from simulator.replay.runner import load_all, replay_all, scenario_files


async def _timed(scenario, workdir: Path) -> tuple[float, float, int, bool]:
    engine = Replay(scenario, workdir)
    settles = 0
    settle = engine.settle

    async def counted() -> None:
        nonlocal settles
        settles += 1
        await settle()

    engine.settle = counted  # type: ignore[method-assign]
    result = await engine.run()
    return result.wall, result.virtual, settles, result.passed


async def run(paths: list[Path], rounds: int, jobs: int, base: Path) -> dict:
    scenarios, unloadable = load_all(scenario_files(paths))
    per: dict[str, dict] = {}
    failures = [f"{problem.path}: {problem.error}" for problem in unloadable]
    for index, scenario in enumerate(scenarios):
        walls, virtual, settles = [], 0.0, 0
        for round_ in range(rounds):
            wall, virtual, settles, passed = await _timed(scenario, base / f"{index}-{round_}")
            walls.append(wall)
            if not passed:
                failures.append(f"{scenario.path} (round {round_ + 1})")
        per[scenario.path.name] = {"virtual_s": round(virtual, 3), "wall_s": summary(walls, digits=3),
                                   "speedup_p50": round(virtual / percentile(walls, 50), 1),
                                   "quiet_spells": settles}
    began = time.perf_counter()
    together = await replay_all(scenarios, jobs=jobs)
    side_by_side = time.perf_counter() - began
    failures += [f"{r.scenario.path} (side by side): {r.failure}" for r in together if not r.passed]
    one_at_a_time = sum(item["wall_s"]["p50"] for item in per.values())
    virtual_total = sum(item["virtual_s"] for item in per.values())
    scenario_walls = [item["wall_s"]["p50"] for item in per.values()]
    return {
        "benchmark": "replay",
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "scenarios": len(scenarios),
        "rounds": rounds,
        "library": {
            "virtual_s": round(virtual_total, 1),
            "wall_one_at_a_time_s": round(one_at_a_time, 2),
            "speedup_one_at_a_time": round(virtual_total / one_at_a_time, 1) if one_at_a_time else None,
            "wall_side_by_side_s": round(side_by_side, 2),
            "jobs": jobs,
            "speedup_side_by_side": round(virtual_total / side_by_side, 1) if side_by_side else None,
            "scenario_wall_s": summary(scenario_walls, digits=3) if scenario_walls else None,
        },
        "slowest": sorted(({"scenario": name, "wall_p50_s": item["wall_s"]["p50"], "virtual_s": item["virtual_s"],
                            "quiet_spells": item["quiet_spells"]} for name, item in per.items()),
                          key=lambda item: -item["wall_p50_s"])[:5],
        "per_scenario": per,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")], help="scenario files or folders")
    parser.add_argument("--rounds", type=int, default=3, help="replays of each scenario, one at a time")
    parser.add_argument("--jobs", type=int, default=6, help="scenarios side by side in the whole-library run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="recoup-bench-replay-") as base:
        result = asyncio.run(run(args.paths, args.rounds, args.jobs, Path(base)))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
