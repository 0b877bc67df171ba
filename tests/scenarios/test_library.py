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

# Scenarios that show the agent doing something wrong: each is written to expect the right behaviour, so
# it fails — at this step, saying this — until the fault is fixed. Any other failure fails its test, and
# so does a pass, which means the entry is to be removed.
KNOWN_FAULTS: dict[str, tuple[int, str, str]] = {
    "receipt-printed-customer-gone": (
        12, "notification receipt_unpaid.payment_requested: expected it not drafted",
        "agent/cases/projection.py: a declined contact record (contact_recorded with declined: true) becomes "
        "the open case's contact, so a payment request is drafted to a customer who declined to leave details "
        "(and details left later no longer attach to the case)"),
    "printer-silent-e-receipt": (
        10, "expected closed, found open",
        "docs/cases.md lists e_receipt_sent among the resolutions the counter gives, but nothing closes a "
        "printer_fault case once its e-receipt is sent: it stays open and falls overdue"),
}


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
    report = scenario_text(result)
    if stem not in KNOWN_FAULTS:
        assert result.passed, report
        return
    step, says, fault = KNOWN_FAULTS[stem]
    assert not result.passed, f"{stem} passes now: remove it from KNOWN_FAULTS\n{report}"
    failed = next((s for s in result.steps if not s.ok), None)
    assert result.error is None and failed is not None and failed.number == step and says in failed.detail, \
        f"{stem} was to fail at step {step} ({says}), not so:\n{report}"
    pytest.xfail(f"known fault: {fault}")


def test_the_library_has_thirty_scenarios_each_opening_with_the_case_it_reproduces() -> None:
    assert len(FILES) >= 30, f"{len(FILES)} scenarios in {LIBRARY}"
    for file in FILES:
        first = file.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 20, f"{file.name} does not open with a comment naming its case"
