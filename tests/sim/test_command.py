"""`recoup sim` on the command line: what it takes, and what it refuses before any app opens."""

from __future__ import annotations

import pytest

from agent.cli import main


def test_recoup_sim_is_a_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["sim", "--help"])
    assert done.value.code == 0
    said = capsys.readouterr().out
    assert "--scenario FILE" in said and "--record FILE" in said and "120x40" in said


def test_a_scenario_that_cannot_be_loaded_is_refused_with_the_loaders_words(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nsteps:\n  - sale: twelve\n", encoding="utf-8")
    assert main(["sim", "--scenario", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"recoup sim: {broken}:3: step 1, key 'sale': 'twelve' is not an amount")


def test_a_folder_is_no_record_file(tmp_path, capsys):
    assert main(["sim", "--record", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
