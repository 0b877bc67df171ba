"""Replay end to end: the real agent wiring against the virtual devices on a virtual clock — what a failed
expectation reports, that a seed replays the same way, a restart in the middle of a sale, and
`recoup replay`'s exit codes and JUnit report."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from agent.cli import main
from simulator.replay.engine import Replay
from simulator.replay.runner import replay_all
from simulator.replay.scenario import parse

DROP = """\
# network drop after the host charged the card
name: drop then reversal
seed: {seed}
steps:
  - sale: 30.00
  - acquirer: fault drop
  - reader: present unionpay chip
  - expect: {{flow: network_drop, state: OUTCOME_UNKNOWN, ledger: {{unionpay: 30.00}}}}
    within: 1m
  - action: customer_leaves
  - contact: declined
  - expect: {{ledger: {{unionpay: 0.00}}, case: {{type: network_drop, state: closed}}, journal: reversal_acknowledged}}
    within: 5m
"""


def replay(text: str, workdir: Path, seed: int | None = None):
    return asyncio.run(Replay(parse(text), workdir, seed=seed).run())


def test_a_scenario_replays_to_a_pass_with_virtual_time_moving_only_when_told(tmp_path):
    result = replay(DROP.format(seed=0), tmp_path)
    assert result.passed, result.failure
    assert [step.ok for step in result.steps] == [True] * 7
    assert 0 < result.virtual < 300  # the reversal went out on reconnect, well before the 5 minutes


def test_a_failed_expectation_says_what_it_found_and_the_rest_is_not_run(tmp_path):
    text = DROP.format(seed=0).replace("ledger: {unionpay: 30.00}}\n    within: 1m", "ledger: {unionpay: 31.00}}")
    result = replay(text, tmp_path)
    assert not result.passed and len(result.steps) == 4
    failed = result.steps[-1]
    assert not failed.ok and failed.step.line == 8
    assert failed.detail == "ledger unionpay net charge: expected 31.00, found 30.00"
    assert result.failure.startswith("step 4 (line 8) expect:")

    # With `within`, time runs on to the deadline first — and by then the reversal has released the hold.
    result = replay(DROP.format(seed=0).replace("state: OUTCOME_UNKNOWN", "state: APPROVED"), tmp_path / "w")
    assert result.steps[-1].detail.startswith("state: expected APPROVED, found RELEASED")
    assert "waited to t=" in result.steps[-1].detail


def test_the_same_seed_replays_the_same_way(tmp_path):
    """Garbage from the acquirer and noise on the reader line are random bytes; the seed fixes them, so two
    replays journal the same events for each sale and case in the same order, and leave the same ledger.
    (Only the devices' own status reports, on lines independent of each other, may interleave differently.)"""
    text = """\
name: garbage then a clean answer
steps:
  - sale: 12.00
  - reader: noise 64
  - acquirer: fault garbage 24 raw
  - reader: present visa chip
  - expect: {flow: network_drop}
    within: 2m
  - action: customer_leaves
  - contact: declined
  - expect: {case: closed, ledger: {visa: 0.00}}
    within: 10m
"""

    def run(folder: str, seed: int) -> tuple[list[str], list[str]]:
        workdir = tmp_path / folder
        engine = Replay(parse(text), workdir, seed=seed)
        ledger: list[str] = []

        async def go() -> None:
            await engine.start()
            for number, step in enumerate(engine.scenario.steps, 1):
                outcome = await engine.step(number, step)
                assert outcome.ok, outcome.detail
            ledger.extend(entry.describe() for entry in engine.station_.sim.acquirer.ledger.entries)
            await engine.close()

        asyncio.run(go())
        with sqlite3.connect(workdir / "journal.sqlite") as db:
            kinds = [f"{stream}: {kind}" for stream, kind in db.execute(
                "SELECT stream, kind FROM events WHERE stream IS NOT NULL ORDER BY stream, seq")]
        return kinds, ledger

    first, second = run("a", 11), run("b", 11)
    assert first == second
    assert "sale-1: reversal_acknowledged" in first[0] and first[1]


def test_the_agent_restarted_with_the_request_outstanding_reverses_it(tmp_path):
    text = """\
name: restart while the acquirer holds the answer
steps:
  - sale: 45.00
  - acquirer: fault late 60
  - reader: present mastercard chip
  - expect: {flow: sale, state: AWAITING_RESPONSE, ledger: {mastercard: 45.00}}
  - restart: agent
  - expect:
      flow: network_drop
      state: RELEASED
      prompt: network.released
      journal: [resumed_in_doubt, reversal_acknowledged]
    within: 1m
  - expect: {ledger: {mastercard: 0.00}, receipts: 0}
"""
    result = replay(text, tmp_path)
    assert result.passed, result.failure
    assert (tmp_path / "journal-after-restart-1.sqlite").exists()


def test_replay_all_runs_side_by_side_and_keeps_the_journals(tmp_path):
    scenarios = [parse(DROP.format(seed=seed), Path(f"s{seed}.yaml")) for seed in (1, 2, 3)]
    results = asyncio.run(replay_all(scenarios, jobs=3, keep=tmp_path))
    assert [result.scenario.path.name for result in results] == ["s1.yaml", "s2.yaml", "s3.yaml"]
    assert all(result.passed for result in results), [r.failure for r in results]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["001-s1", "002-s2", "003-s3"]


def test_recoup_replay_reports_each_step_exits_1_on_failure_and_writes_junit(tmp_path, capsys):
    good, bad, broken = tmp_path / "good.yaml", tmp_path / "bad.yaml", tmp_path / "broken.yaml"
    good.write_text(DROP.format(seed=0), encoding="utf-8")
    bad.write_text(DROP.format(seed=0).replace("state: OUTCOME_UNKNOWN", "state: APPROVED"), encoding="utf-8")
    broken.write_text("name: x\nsteps:\n  - advance: soon\n", encoding="utf-8")
    report = tmp_path / "out" / "junit.xml"
    assert main(["replay", str(tmp_path), "--junit", str(report), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:3: step 1, key 'advance': 'soon' is not a duration" in out
    assert "state: expected APPROVED, found RELEASED" in out
    assert "  --     5  action: customer_leaves  (not run)" in out
    assert "3 scenario(s): 1 passed, 2 failed" in out
    suite = ET.parse(report).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {case.get("classname"): case for case in suite.iter("testcase")}
    assert cases[f"{tmp_path.name}.good"].find("failure") is None
    assert "found RELEASED" in cases[f"{tmp_path.name}.bad"].find("failure").get("message")
    assert cases[f"{tmp_path.name}.broken"].find("error") is not None

    assert main(["replay", str(good)]) == 0
    assert "1 scenario(s): 1 passed, 0 failed" in capsys.readouterr().out
    assert main(["replay", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["replay", str(tmp_path / "empty")]) == 2


def test_the_step_log_is_told_to_listeners(tmp_path):
    engine = Replay(parse(DROP.format(seed=0)), tmp_path)
    told: list[str] = []
    engine.listeners.append(told.append)
    assert asyncio.run(engine.run()).passed
    assert told[0] == "ok step 1 sale: '30.00': sale sale-1 for CNY 30.00"
    assert json.dumps(told, ensure_ascii=False).count("ok step") == 7
