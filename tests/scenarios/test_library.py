"""The scenario library, replayed whole: one test per file, every money rule each one asserts.

The replays run side by side in one run for the module (each spends most of its wall time in quiet
spells, so six at a time share the event loop well); each test then reports its own scenario, with the
per-step report as the failure message.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.replay.engine import ScenarioResult
from simulator.replay.report import Unloadable, scenario_text, unloadable_text
from simulator.replay.runner import load_all, replay_all, scenario_files

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
FILES = scenario_files([LIBRARY])
JOBS = 6

@pytest.fixture(scope="module")
def replayed() -> dict[str, ScenarioResult | Unloadable]:
    scenarios, unloadable = load_all(FILES)
    results = asyncio.run(replay_all(scenarios, jobs=JOBS))
    return {result.scenario.path.stem: result for result in results} | {p.path.stem: p for p in unloadable}


@pytest.mark.parametrize("stem", [file.stem for file in FILES])
def test_scenario(replayed: dict[str, ScenarioResult | Unloadable], stem: str) -> None:
    result = replayed[stem]
    if isinstance(result, Unloadable):
        pytest.fail(unloadable_text(result), pytrace=False)
    assert result.passed, scenario_text(result)


def test_the_library_has_thirty_scenarios_each_opening_with_the_case_it_reproduces() -> None:
    assert len(FILES) >= 30, f"{len(FILES)} scenarios in {LIBRARY}"
    for file in FILES:
        first = file.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, f"{file.name} does not open with a comment naming its case"
