"""A settlement file into the journal, once: its lines in chunks, its malformed lines with their reasons.

The journal keeps what the acquirer said, so a case can point at the line that proves a sale missing or
late, and so reconciling again — tomorrow, after a restart — needs no file but the new one. Chunks are
committed one at a time, so the agent at the counter never waits behind a long import; the import
counts only once its closing event is written, and one cut short is replaced when the file is read
again. The same file (by SHA-256) is read once: a second run only reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from agent.journal import Journal
from agent.reconcile.projection import LINES, OPENED, READ
from agent.reconcile.settings import ReconcileSettings
from agent.reconcile.settlement_file import Malformed, SettlementFile, sha256_of
from domain.card import mask_digit_runs

CHUNK = 5000  # lines per journal event: big enough to be quick, small enough never to hold the writer long
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Imported:
    import_id: int
    name: str
    settlement_date: date
    lines: int
    malformed: int
    blank: int
    already: bool  # read before: nothing was journaled this time


def import_file(journal: Journal, path: Path, settings: ReconcileSettings, currency: str, *,
                settlement_date: date | None, today: date,
                progress: Callable[[int, int], None] | None = None) -> Imported:
    """Journal the file's lines. Its settlement date is `settlement_date` if given, else the latest in its
    settlement_date column, else `today`; the earliest in that column is kept too: a file may pay several
    days, and it answers for the sales due on each of them."""
    source = SettlementFile(path, settings, currency)
    sha256 = sha256_of(path)
    name = mask_digit_runs(path.name)  # a file named after a card number is not one to keep
    done = journal.query("SELECT import_id, name, settlement_date, lines, malformed, blank FROM settlement_imports "
                         "WHERE sha256 = ? AND complete = 1 ORDER BY import_id LIMIT 1", (sha256,))
    if done:
        import_id, name, settled, lines, malformed, blank = done[0]
        return Imported(import_id, name, date.fromisoformat(settled), lines, malformed, blank, already=True)
    reader = source.read()  # the header is checked before anything is journaled
    import_id = journal.append(OPENED, {"sha256": sha256, "name": name}).seq
    chunk: list[str] = []
    bad: list[list] = []
    lines = malformed = 0
    earliest: date | None = None
    latest: date | None = None

    def flush() -> None:
        if chunk or bad:
            journal.append(LINES, {"import_id": import_id, "lines": chunk, "malformed": bad})
            chunk.clear()
            bad.clear()

    for item in reader:
        if isinstance(item, Malformed):
            malformed += 1
            bad.append([item.line, item.reason])
        else:
            lines += 1
            chunk.append(item.journal_text())
            if item.settlement_date is not None:
                earliest = min(earliest or item.settlement_date, item.settlement_date)
                latest = max(latest or item.settlement_date, item.settlement_date)
        if len(chunk) + len(bad) >= CHUNK:
            flush()
        if progress is not None and (lines + malformed) % PROGRESS_EVERY == 0:
            progress(source.bytes_read, lines)
    flush()
    settled = settlement_date or latest or today
    journal.append(READ, {"import_id": import_id, "sha256": sha256, "name": name,
                          "settlement_date": settled.isoformat(), "earliest": (earliest or settled).isoformat(),
                          "lines": lines, "malformed": malformed, "blank": source.blank})
    return Imported(import_id, name, settled, lines, malformed, source.blank, already=False)
