import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent.journal import Journal

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("acks_before_kill", [1, 37, 400])
def test_every_acknowledged_event_survives_sigkill(tmp_path, acks_before_kill):
    path = tmp_path / "j.sqlite"
    writer = subprocess.Popen([sys.executable, "-m", "tests.agent.journal_writer", str(path)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    acknowledged = {}
    assert writer.stdout is not None
    for line in writer.stdout:
        seq, n = map(int, line.split())
        acknowledged[seq] = n
        if len(acknowledged) >= acks_before_kill:
            writer.send_signal(signal.SIGKILL)
            break
    writer.wait()
    assert writer.returncode == -signal.SIGKILL

    with Journal.open(path) as journal:
        assert journal.query("PRAGMA integrity_check") == [("ok",)]
        stored = {e.seq: e.payload for e in journal.events(kind="tick")}
    for seq, n in acknowledged.items():
        assert stored[seq]["n"] == n
    # nothing torn: every stored row is a complete event, numbered without gaps
    assert sorted(stored) == list(range(1, len(stored) + 1))
    raw = sqlite3.connect(path).execute("SELECT payload FROM events").fetchall()
    assert all(json.loads(p)["n"] >= 1 for (p,) in raw)
