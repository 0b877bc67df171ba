import shutil
import sqlite3
from pathlib import Path

import pytest

from agent.journal import Journal, migrations

FIXTURE = Path(__file__).parent / "fixtures" / "journal-v1.sqlite"


def test_v1_journal_is_migrated_in_place_keeping_every_event(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    before = sqlite3.connect(path).execute("SELECT seq, at, kind, payload FROM events").fetchall()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

    with Journal.open(path) as journal:
        assert journal.schema_version == migrations.LATEST
        after = journal.query("SELECT seq, at, kind, payload FROM events ORDER BY seq")
        assert after == before
        assert [e.stream for e in journal.events()] == [None, None, None]
        # projections are built from the old events
        assert journal.query("SELECT outcome, masked FROM reads ORDER BY seq") == [
            ("read", "411111******1111"), ("error", "520000******0007")]
        journal.append("note", {"text": "written by the new version"}, stream="s1")
        assert journal.query("PRAGMA integrity_check") == [("ok",)]

    with Journal.open(path) as journal:  # reopening an up-to-date journal changes nothing
        assert journal.last_seq() == 4


def test_a_migration_that_fails_leaves_the_old_version_intact(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)

    def broken(db):
        db.execute("ALTER TABLE events ADD COLUMN stream TEXT")
        raise RuntimeError("power cut mid-migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], broken])
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(RuntimeError, match="power cut"):
        migrations.migrate(db)
    assert migrations.version_of(db) == 1
    assert "stream" not in [row[1] for row in db.execute("PRAGMA table_info(events)")]
