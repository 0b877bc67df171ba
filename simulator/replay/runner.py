"""Many scenarios in one run: loaded first (every problem reported), then replayed a few at a time.

Each replay spends most of its wall time waiting for its quiet spells, not computing, so several share
the event loop well; each has its own agent, devices, journal and virtual clock, and nothing of one can
reach another, so running them side by side changes no result.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from simulator.replay.engine import Replay, ScenarioResult
from simulator.replay.report import Unloadable
from simulator.replay.scenario import Scenario, ScenarioError, load

SUFFIXES = (".yaml", ".yml")


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The scenario files named, folders searched for *.yaml and *.yml, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def load_all(files: list[Path]) -> tuple[list[Scenario], list[Unloadable]]:
    scenarios, problems = [], []
    for file in files:
        try:
            scenarios.append(load(file))
        except ScenarioError as exc:
            problems.append(Unloadable(file, str(exc)))
    return scenarios, problems


async def replay_all(scenarios: list[Scenario], *, seed: int | None = None, jobs: int = 1, keep: Path | None = None,
                     on_done: Callable[[ScenarioResult], None] | None = None) -> list[ScenarioResult]:
    """Replay every scenario, `jobs` at a time; results in the order given. With `keep`, each scenario's
    journal and keys stay in keep/<file name>/ for whoever investigates it."""
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(index: int, scenario: Scenario) -> ScenarioResult:
        async with gate:
            if keep is not None:
                result = await Replay(scenario, keep / f"{index:03d}-{scenario.path.stem}", seed=seed).run()
            else:
                with tempfile.TemporaryDirectory(prefix="recoup-replay-") as folder:
                    result = await Replay(scenario, Path(folder), seed=seed).run()
            if on_done is not None:
                on_done(result)
            return result

    return list(await asyncio.gather(*(one(index, scenario) for index, scenario in enumerate(scenarios, 1))))
