"""`python -m bench.fuzz`: the long run's JSON, a failure saved and replayed, a hang stopped by the watchdog."""

from __future__ import annotations

import json
import signal

import pytest

from bench import fuzz
from bench.fuzz_mutations import Target, mutate


def test_each_core_reports_inputs_speed_outcomes_failures_and_its_slowest_input(tmp_path, capsys):
    assert fuzz.main(["--core", "msr", "--core", "config", "--examples", "15", "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["cores"]) == {"msr", "config"} and report["failures"] == 0
    for core in report["cores"].values():
        assert core["inputs"] == 15 and core["inputs_per_second"] > 0 and core["failures"] == []
        assert sum(core["outcomes"].values()) >= 15 and core["slowest_input"]["bytes"] > 0
    assert list(tmp_path.iterdir()) == []


def test_the_same_seed_tries_the_same_inputs(tmp_path):
    target = fuzz.TARGETS["scenario"]
    runs = [fuzz.fuzz(target, examples=20, seconds=None, seed=7, limit=5, out=tmp_path)["outcomes"] for _ in range(2)]
    assert runs[0] == runs[1]


def _refuses_zero(data: bytes) -> list[str]:
    if 0 in data:
        raise KeyError(f"byte 0 at {data.index(0)}")
    return ["fine"]


BROKEN = Target("broken", "a core that fails on NUL", lambda choices: mutate(b"abcdefgh" * 4, choices), _refuses_zero)


def test_a_failure_is_counted_once_by_where_it_was_raised_and_its_smallest_input_saved(tmp_path):
    report = fuzz.fuzz(BROKEN, examples=300, seconds=None, seed=0, limit=5, out=tmp_path)
    [failure] = report["failures"]
    assert failure["error"].startswith("KeyError: 'byte 0 at") and failure["where"].startswith("tests/fuzz/")
    assert report["outcomes"]["FAILED: KeyError"] == failure["inputs"] > 1
    saved = tmp_path / failure["reproducer"].rsplit("/", 1)[-1]
    assert 0 in saved.read_bytes() and len(saved.read_bytes()) == failure["bytes"]
    assert fuzz.replay(BROKEN, saved, 5)["failure"].startswith("KeyError: 'byte 0 at")


def test_a_saved_input_replays_through_its_core(tmp_path, capsys):
    scenario = tmp_path / "one.yaml"
    scenario.write_text("name: n\nsteps:\n  - sale: 58.00\n")
    assert fuzz.main(["--core", "scenario", "--replay", str(scenario)]) == 0
    assert json.loads(capsys.readouterr().out)["outcomes"] == {"Scenario": 1, "SaleStep": 1}


def _spins(data: bytes) -> list[str]:
    while True:
        pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no SIGALRM here: a slow input is only measured")
def test_an_input_that_never_finishes_is_stopped_and_reported_as_a_hang(tmp_path):
    spinning = Target("spinning", "a core that never returns", lambda choices: b"x", _spins)
    report = fuzz.fuzz(spinning, examples=1, seconds=None, seed=0, limit=0.05, out=tmp_path)
    [failure] = report["failures"]
    assert failure["error"] == "Hang: still running after 0.05 s" and failure["where"].startswith("tests/fuzz/")
