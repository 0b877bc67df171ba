import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out) > 200


@pytest.mark.skipif(os.name != "posix", reason="the demo uses a pty on POSIX")
@pytest.mark.parametrize("fmt", ["framed", "msr"])
def test_demo_runs_through_the_console_entry_and_shows_only_masked_cards(tmp_path, fmt):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "agent.cli", "demo", "--format", fmt, "--data-dir",
                           str(tmp_path / "demo")], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    # What went wrong first: the failed checks and any traceback, then the whole transcript.
    failed = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert done.returncode == 0, "\n".join(failed) + "\n" + done.stderr + "\n" + done.stdout
    assert "demo passed" in done.stdout
    assert "411111******1111" in done.stdout and "4111111111111111" not in done.stdout
    assert "139****5678" in done.stdout and "13912345678" not in done.stdout
    journal = (tmp_path / "demo" / "journal.sqlite").read_bytes()
    assert b"13912345678" not in journal and b"4111111111111111" not in journal
    assert b"6200000000000005" not in journal

    shown = subprocess.run([sys.executable, "-m", "agent.cli", "journal", "--kind", "read_error"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT,
                           env=dict(env, RECOUP_DATA_DIR=str(tmp_path / "demo")))
    assert shown.returncode == 0, shown.stderr
    assert "expiry" in shown.stdout and "bad_read" in shown.stdout


def test_a_broken_config_is_reported_not_raised(tmp_path, capsys):
    path = tmp_path / "recoup.toml"
    path.write_text('[reader]\nbaudrate = "fast"\n')
    assert main(["--config", str(path), "journal"]) == 2
    assert "recoup.toml:2: reader.baudrate" in capsys.readouterr().err


def test_devices_without_a_device_says_what_to_give(capsys):
    assert main(["devices"]) == 2
    assert "--reader-port" in capsys.readouterr().err
