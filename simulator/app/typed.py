"""A step typed on one line, as it would be written in a scenario file (`acquirer: fault late 35`,
`restart: agent`, `expect: {ledger: {visa: 0.00}}`): whatever the panels have no key for, in the words
QA already writes scenarios in, checked by the scenario loader itself."""

from __future__ import annotations

from dataclasses import replace

from simulator.replay.scenario import ScenarioError, parse
from simulator.replay.steps import STEPS, Step


class TypedStepError(ValueError):
    """What is wrong with the typed step, said as the loader says it, without a file to name."""


def typed_step(line: str) -> Step:
    text = line.strip()
    if not text:
        raise TypedStepError("type a step as in a scenario file, such as `advance: 30s`; steps are "
                             + ", ".join(STEPS))
    try:
        scenario = parse(f"name: typed\nsteps:\n  - {text}\n")
    except ScenarioError as exc:
        about = f"key '{exc.key}': " if exc.key is not None else ""
        raise TypedStepError(about + exc.message) from None
    if len(scenario.steps) != 1:
        raise TypedStepError("one step at a time")
    return replace(scenario.steps[0], line=None)  # a line of no file
