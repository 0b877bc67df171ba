"""What a replay run says: per scenario and step for the QA engineer, JUnit XML for CI.

A scenario that could not be loaded is reported like one that failed — with the file, line, step and key
— so one typo in a folder of scenarios is found, not skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from simulator.replay.engine import ScenarioResult


@dataclass(frozen=True)
class Unloadable:
    """A scenario file that could not be read as a scenario: where, and what was wrong."""

    path: Path
    error: str


def scenario_text(result: ScenarioResult) -> str:
    scenario = result.scenario
    lines = [f"{scenario.path}: {scenario.name}"]
    for step in result.steps:
        mark = "ok  " if step.ok else "FAIL"
        detail = step.detail.replace("\n", "\n" + " " * 14)
        where = f"[t={_virtual(step.at)}, line {step.step.line}]"
        lines.append(f"  {mark} {step.number:>3}  {step.step.describe()}  {where}")
        lines.append(f"            {detail}")
    for number in range(len(result.steps) + 1, len(scenario.steps) + 1):
        lines.append(f"  --   {number:>3}  {scenario.steps[number - 1].describe()}  (not run)")
    if result.error is not None:
        lines.append("  ERROR " + result.error.rstrip().replace("\n", "\n        "))
    verdict = "PASS" if result.passed else "FAIL"
    lines.append(f"  {verdict} in {result.wall:.2f} s of wall time for {_virtual(result.virtual)} of virtual time")
    return "\n".join(lines)


def unloadable_text(problem: Unloadable) -> str:
    return f"{problem.path}: cannot be replayed\n  {problem.error}\n  FAIL"


def summary(results: list[ScenarioResult], unloadable: list[Unloadable], wall: float) -> str:
    passed = sum(result.passed for result in results)
    failed = len(results) - passed + len(unloadable)
    virtual = sum(result.virtual for result in results)
    speed = f", {virtual / wall:,.0f}x real time" if wall > 0 and virtual > 0 else ""
    lines = [f"{len(results) + len(unloadable)} scenario(s): {passed} passed, {failed} failed; "
             f"{wall:.2f} s of wall time for {_virtual(virtual)} of virtual time{speed}"]
    lines += [f"  FAILED {result.scenario.path}: {result.failure}" for result in results if not result.passed]
    lines += [f"  FAILED {problem.path}: {problem.error}" for problem in unloadable]
    return "\n".join(lines)


def junit(results: list[ScenarioResult], unloadable: list[Unloadable], wall: float) -> bytes:
    failures = sum(not result.passed and result.error is None for result in results)
    errors = sum(result.error is not None for result in results) + len(unloadable)
    suite = ET.Element("testsuite", name="recoup replay", tests=str(len(results) + len(unloadable)),
                       failures=str(failures), errors=str(errors), skipped="0", time=f"{wall:.3f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=_classname(result.scenario.path),
                             name=result.scenario.name, time=f"{result.wall:.3f}", file=str(result.scenario.path))
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="virtual_seconds", value=f"{result.virtual:g}")
        if result.error is not None:
            ET.SubElement(case, "error", message=result.error.splitlines()[0]).text = result.error
        elif not result.passed:
            ET.SubElement(case, "failure", message=result.failure or "failed").text = scenario_text(result)
        ET.SubElement(case, "system-out").text = scenario_text(result)
    for problem in unloadable:
        case = ET.SubElement(suite, "testcase", classname=_classname(problem.path), name=problem.path.name,
                             time="0", file=str(problem.path))
        ET.SubElement(case, "error", message=problem.error, type="ScenarioError").text = problem.error
    ET.indent(suite)
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="utf-8", xml_declaration=True)


def _classname(path: Path) -> str:
    return ".".join(path.with_suffix("").parts[-2:])


def _virtual(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
