"""Versioned schema migrations. Each runs in one transaction together with its version bump, so a
database is always at exactly one version: a crash mid-migration leaves the previous version intact.

Only the durable tables live here (the event log and the keys beside it). Projection tables are
derived data: they carry their own version and are rebuilt from the events when it changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE events (
               seq     INTEGER PRIMARY KEY AUTOINCREMENT,
               at      TEXT NOT NULL,
               kind    TEXT NOT NULL,
               payload TEXT NOT NULL
           )"""
    )
    db.execute(
        "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
    )


def _v2(db: sqlite3.Connection) -> None:
    """Events gain a stream (the sale or case they belong to) so an excerpt for one sale or case is an
    indexed read; v1 rows keep a NULL stream, which is what they meant. Keys for contact data sit beside
    the log so a retention purge can destroy a key without rewriting the append-only events."""
    db.execute("ALTER TABLE events ADD COLUMN stream TEXT")
    db.execute("CREATE INDEX events_stream ON events(stream, seq)")
    db.execute("CREATE INDEX events_kind ON events(kind, seq)")
    db.execute(
        """CREATE TABLE data_keys (
               key_id      TEXT PRIMARY KEY,
               wrapped_key BLOB NOT NULL,
               created_at  TEXT NOT NULL
           )"""
    )
    db.execute(
        """CREATE TABLE projection_versions (
               name    TEXT PRIMARY KEY,
               version INTEGER NOT NULL
           )"""
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
LATEST = len(MIGRATIONS)


def version_of(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite3.Connection, target: int = LATEST) -> list[int]:
    """Bring the database up to `target`; return the versions applied. `db` must be in autocommit mode."""
    applied = []
    current = version_of(db)
    for version in range(current + 1, target + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](db)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
