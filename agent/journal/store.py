"""The journal: SQLite in WAL mode with synchronous=FULL, so `append` returning means the event is on
disk (money rule 2: write before the wire). The `events` table is the source of truth; everything else
is a projection of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.journal import migrations
from agent.journal.errors import JournalError, SchemaTooNew
from agent.journal.guard import check_payload
from agent.journal.projections import Projection, ReadsProjection
from domain.clock import Clock, RealClock
from domain.events import record


@dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    kind: str
    stream: str | None
    payload: dict[str, Any]


def default_projections() -> list[Projection]:
    from agent.cases.projection import CasesProjection
    from agent.contacts.projection import ContactsProjection
    from agent.flowstore import FlowsProjection
    from agent.reconcile.projection import SettlementProjection
    from agent.saf import SafProjection

    return [ReadsProjection(), ContactsProjection(), SafProjection(), FlowsProjection(), CasesProjection(),
            SettlementProjection()]


class Journal:
    def __init__(self, db: sqlite3.Connection, path: Path, clock: Clock, projections: list[Projection],
                 own_ids: frozenset[str] = frozenset()):
        self._db = db
        self.path = path
        self.clock = clock
        self._projections = projections
        self.own_ids = own_ids
        # One connection, used from the event loop and from worker threads (the notifier sends on one):
        # a transaction holds it, so two threads never both see "no transaction" and both BEGIN.
        self._writing = threading.RLock()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        projections: Iterable[Projection] | None = None,
        target_version: int = migrations.LATEST,
        own_ids: Iterable[str] = (),
    ) -> Journal:
        """Open (creating with mode 0600 if new) and migrate in place to `target_version`.

        `own_ids` are the terminal's configured merchant and terminal ids (`HostSettings.own_ids`): the
        card-data guard lets exactly those through, since every request carries them and a numeric
        merchant id can pass Luhn. A journal opened without them refuses such an id as a card number."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            found = migrations.version_of(db)
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{path} is not a recoup journal (SQLite says: {exc})") from exc
        if found > migrations.LATEST:
            db.close()
            raise SchemaTooNew(
                f"{path} is at schema version {found}, newer than this recoup understands "
                f"({migrations.LATEST}); upgrade recoup instead of opening it with an older one"
            )
        migrations.migrate(db, target_version)
        journal = cls(db, path, clock or RealClock(), [] if target_version < migrations.LATEST else
                      list(default_projections() if projections is None else projections), frozenset(own_ids))
        journal._ensure_projections()
        return journal

    @property
    def schema_version(self) -> int:
        return migrations.version_of(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------

    def append(self, kind: str, payload: dict[str, Any], *, stream: str | None = None,
               at: datetime | None = None) -> Event:
        """Journal one event; returns only after the commit is durable. Refuses card data."""
        check_payload(kind, payload, own_ids=self.own_ids)
        at = at or self.clock.now()
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        with self.transaction():
            seq = self._insert(kind, payload, text, stream, at)
        return Event(seq, at, kind, stream, payload)

    def append_domain(self, event: object, *, stream: str | None = None, **extra: Any) -> Event:
        """Journal a domain event or effect in its safe form, with extra fields (e.g. its card hash)."""
        kind, payload = record(event)
        payload.update(extra)
        return self.append(kind, payload, stream=stream)

    def transaction(self) -> _Transaction:
        """A write transaction: several appends (and key writes) that commit together or not at all."""
        return _Transaction(self._db, self._writing)

    def _insert(self, kind: str, payload: dict[str, Any], text: str, stream: str | None, at: datetime) -> int:
        stamp = at.isoformat()
        cursor = self._db.execute(
            "INSERT INTO events (at, kind, payload, stream) VALUES (?, ?, ?, ?)", (stamp, kind, text, stream)
        )
        seq = cursor.lastrowid
        assert seq is not None
        for projection in self._projections:
            projection.apply(self._db, seq, stamp, kind, payload)
        return seq

    def execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Direct access for the stores that keep tables beside the log (keys); use inside a transaction."""
        return self._db.execute(sql, params)

    # -- reading ---------------------------------------------------------------------------------

    def events(self, *, kind: str | None = None, stream: str | None = None, after: int = 0) -> Iterator[Event]:
        sql = "SELECT seq, at, kind, stream, payload FROM events WHERE seq > ?"
        params: list[Any] = [after]
        if kind is not None:
            # With a stream, '+kind' keeps SQLite on the stream index: one sale's few events, not every
            # event of that kind in the journal's history.
            sql += " AND +kind = ?" if stream is not None else " AND kind = ?"
            params.append(kind)
        if stream is not None:
            sql += " AND stream = ?"
            params.append(stream)
        for seq, at, kind_, stream_, payload in self._db.execute(sql + " ORDER BY seq", params):
            yield Event(seq, datetime.fromisoformat(at), kind_, stream_, json.loads(payload))

    def last_seq(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._db.execute(sql, params).fetchall()

    # -- projections -----------------------------------------------------------------------------

    def _ensure_projections(self) -> None:
        known = dict(self._db.execute("SELECT name, version FROM projection_versions").fetchall()) \
            if self._projections else {}
        stale = [p for p in self._projections if known.get(p.name) != p.version]
        if stale:
            with self.transaction():
                self._rebuild(stale)

    def rebuild_projections(self) -> None:
        """Drop every projection table and replay the whole log into fresh ones."""
        with self.transaction():
            self._rebuild(self._projections)

    def _rebuild(self, projections: list[Projection]) -> None:
        for projection in projections:
            for table in projection.tables:
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            projection.create(self._db)
            self._db.execute(
                "INSERT OR REPLACE INTO projection_versions (name, version) VALUES (?, ?)",
                (projection.name, projection.version),
            )
        # Stepped through, not fetched whole: a journal of a million sales replays in the memory of one event.
        rows = self._db.execute("SELECT seq, at, kind, payload FROM events ORDER BY seq")
        for seq, at, kind, payload in rows:
            decoded = json.loads(payload)
            for projection in projections:
                projection.apply(self._db, seq, at, kind, decoded)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, nestable (inner levels join the outer one)."""

    def __init__(self, db: sqlite3.Connection, writing: threading.RLock) -> None:
        self._db = db
        self._writing = writing
        self._outer = False

    def __enter__(self) -> None:
        self._writing.acquire()
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
                self._outer = True
        except BaseException:
            self._writing.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if not self._outer:
                return
            if exc_type is None:
                self._db.execute("COMMIT")
            else:
                self._db.execute("ROLLBACK")
        finally:
            self._writing.release()
