"""The two sides reconciliation compares, as tables rebuilt from the journal like every projection.

`card_transactions` is the terminal's side: every financial request (0200) it journaled before the
wire, what the acquirer answered, and what became of it since — reversed from store-and-forward (unless
the acquirer refused the reversal because it had already settled the original), voided, or cancelled by a
NOT PAID slip. Its id is the seq of the request's event, so it survives a
rebuild, and the acquirer's side can point at it.

`settlement_lines` is the acquirer's side: every line of every settlement file read, each already
matched to the transaction it names (by terminal and RRN, else by terminal, STAN and date), so finding
what is missing, doubled or unknown is an indexed query, never a walk through memory. A file's lines
count only once its import is complete; an import cut short (a crash, a power cut) is dropped when the
same file is read again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from agent.saf import REFUSED as REVERSAL_REFUSED
from domain.money import NUMERIC

OPENED = "settlement_file_opened"
LINES = "settlement_lines_read"
READ = "settlement_file_read"
# A line of a settlement file as journaled: its fields joined by "|" in this order.
LINE_FIELDS = ("line", "terminal_id", "stan", "rrn", "date", "amount_minor", "currency", "masked", "auth_code",
               "settlement_date")
SEPARATOR = "|"

KINDS = {"000000": "sale", "020000": "void", "200000": "refund"}
_ALPHA = {numeric: alpha for alpha, numeric in NUMERIC.items()}


def request_key(fields: dict[str, Any]) -> str:
    """Terminal, STAN and transmission time: what names a request on both sides of the wire, and what a
    reversal names its original by."""
    return f"{fields.get('41')}|{fields.get('11')}|{fields.get('7')}"


@dataclass(frozen=True)
class SettlementProjection:
    name: str = "settlement"
    version: int = 3
    tables: tuple[str, ...] = ("card_transactions", "settlement_imports", "settlement_lines", "settlement_malformed")

    def create(self, db: sqlite3.Connection) -> None:
        db.execute(
            """CREATE TABLE card_transactions (
                   id            INTEGER PRIMARY KEY,
                   sale_id       TEXT,
                   request_key   TEXT NOT NULL,
                   kind          TEXT NOT NULL,
                   terminal_id   TEXT NOT NULL,
                   stan          TEXT NOT NULL,
                   amount_minor  INTEGER NOT NULL,
                   currency      TEXT NOT NULL,
                   masked        TEXT,
                   sent_at       TEXT NOT NULL,
                   local_date    TEXT NOT NULL,
                   utc_date      TEXT NOT NULL,
                   original_rrn  TEXT,
                   state         TEXT NOT NULL,
                   response_code TEXT,
                   rrn           TEXT,
                   auth_code     TEXT
               )"""
        )
        db.execute("CREATE INDEX card_transactions_request ON card_transactions(request_key)")
        db.execute("CREATE INDEX card_transactions_rrn ON card_transactions(terminal_id, rrn)")
        db.execute("CREATE INDEX card_transactions_stan ON card_transactions(terminal_id, stan)")
        db.execute("CREATE INDEX card_transactions_sale ON card_transactions(sale_id, stan)")
        db.execute(
            """CREATE TABLE settlement_imports (
                   import_id       INTEGER PRIMARY KEY,
                   sha256          TEXT NOT NULL,
                   name            TEXT NOT NULL,
                   opened_at       TEXT NOT NULL,
                   complete        INTEGER NOT NULL,
                   settlement_date TEXT,
                   earliest        TEXT,
                   lines           INTEGER,
                   malformed       INTEGER,
                   blank           INTEGER
               )"""
        )
        db.execute("CREATE INDEX settlement_imports_sha ON settlement_imports(sha256, complete)")
        db.execute(
            """CREATE TABLE settlement_lines (
                   id              INTEGER PRIMARY KEY,
                   import_id       INTEGER NOT NULL,
                   line            INTEGER NOT NULL,
                   terminal_id     TEXT NOT NULL,
                   stan            TEXT NOT NULL,
                   rrn             TEXT NOT NULL,
                   date            TEXT NOT NULL,
                   amount_minor    INTEGER NOT NULL,
                   currency        TEXT NOT NULL,
                   masked          TEXT,
                   auth_code       TEXT,
                   settlement_date TEXT,
                   txn             INTEGER
               )"""
        )
        db.execute("CREATE INDEX settlement_lines_import ON settlement_lines(import_id, line)")
        db.execute("CREATE INDEX settlement_lines_txn ON settlement_lines(txn, import_id)")
        db.execute("CREATE INDEX settlement_lines_rrn ON settlement_lines(terminal_id, rrn)")
        db.execute(
            """CREATE TABLE settlement_malformed (
                   import_id INTEGER NOT NULL,
                   line      INTEGER NOT NULL,
                   reason    TEXT NOT NULL
               )"""
        )
        db.execute("CREATE INDEX settlement_malformed_import ON settlement_malformed(import_id, line)")

    def apply(self, db: sqlite3.Connection, seq: int, at: str, kind: str, payload: dict[str, Any]) -> None:
        if kind == "host_request":
            _request(db, seq, at, payload["request"])
        elif kind == "host_response":
            _response(db, payload.get("request") or {}, payload.get("response") or {})
        elif kind == "reversal_queued":
            db.execute("UPDATE card_transactions SET state = 'reversed' WHERE request_key = ?",
                       (request_key(payload["original"]),))
        elif kind == REVERSAL_REFUSED:
            # Too late to reverse: the acquirer had settled the original, so the charge stands and is owed to
            # the merchant like any approved sale (the case for the customer is the network_drop flow's).
            (sale_id,) = db.execute("SELECT stream FROM events WHERE seq = ?", (seq,)).fetchone()
            db.execute("UPDATE card_transactions SET state = 'approved' WHERE sale_id = ? AND stan = ? "
                       "AND state = 'reversed'", (sale_id, payload["stan"]))
        elif kind == "receipt_to_print" and payload["document"].get("type") == "not_paid":
            document = payload["document"]
            db.execute("UPDATE card_transactions SET state = 'not_paid' WHERE sale_id = ? AND stan = ? "
                       "AND state = 'approved'", (document.get("sale_id"), document.get("stan")))
        elif kind == OPENED:
            # The same file read again after an import was cut short: the partial lines go.
            stale = "SELECT import_id FROM settlement_imports WHERE sha256 = ? AND complete = 0"
            db.execute(f"DELETE FROM settlement_lines WHERE import_id IN ({stale})", (payload["sha256"],))
            db.execute(f"DELETE FROM settlement_malformed WHERE import_id IN ({stale})", (payload["sha256"],))
            db.execute("DELETE FROM settlement_imports WHERE sha256 = ? AND complete = 0", (payload["sha256"],))
            db.execute("INSERT INTO settlement_imports (import_id, sha256, name, opened_at, complete) "
                       "VALUES (?, ?, ?, ?, 0)", (seq, payload["sha256"], payload["name"], at))
        elif kind == LINES:
            _lines(db, payload["import_id"], payload["lines"])
            db.executemany("INSERT INTO settlement_malformed VALUES (?, ?, ?)",
                           [(payload["import_id"], line, reason) for line, reason in payload.get("malformed", ())])
        elif kind == READ:
            db.execute("UPDATE settlement_imports SET complete = 1, settlement_date = ?, earliest = ?, lines = ?, "
                       "malformed = ?, blank = ? WHERE import_id = ?",
                       (payload["settlement_date"], payload["earliest"], payload["lines"], payload["malformed"],
                        payload["blank"], payload["import_id"]))


def _request(db: sqlite3.Connection, seq: int, at: str, request: dict[str, Any]) -> None:
    kind = KINDS.get(request.get("3", ""))
    if request.get("t") != "0200" or kind is None:
        return
    sent = datetime.fromisoformat(at).astimezone(UTC)
    (sale_id,) = db.execute("SELECT stream FROM events WHERE seq = ?", (seq,)).fetchone()
    db.execute("INSERT INTO card_transactions (id, sale_id, request_key, kind, terminal_id, stan, amount_minor, "
               "currency, masked, sent_at, local_date, utc_date, original_rrn, state) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent')",
               (seq, sale_id, request_key(request), kind, request.get("41", ""), request.get("11", ""),
                _digits(request.get("4")), _ALPHA.get(request.get("49", ""), "?"),
                request.get("2"), sent.isoformat(timespec="microseconds"),
                _local_date(request.get("13"), sent).isoformat(), sent.date().isoformat(), request.get("37")))


def _response(db: sqlite3.Connection, request: dict[str, Any], response: dict[str, Any]) -> None:
    if response.get("t") != "0210" or request.get("t") != "0200":
        return
    code = response.get("39")
    db.execute("UPDATE card_transactions SET state = ?, response_code = ?, rrn = ?, auth_code = ? "
               "WHERE request_key = ? AND state = 'sent'",
               ("approved" if code == "00" else "declined", code, response.get("37"), response.get("38"),
                request_key(request)))
    if code == "00" and request.get("3") == "020000":
        db.execute("UPDATE card_transactions SET state = 'voided' WHERE terminal_id = ? AND rrn = ? "
                   "AND kind = 'sale' AND state = 'approved'", (request.get("41"), request.get("37")))


def _lines(db: sqlite3.Connection, import_id: int, lines: list[str]) -> None:
    rows = []
    for text in lines:
        (line, terminal, stan, rrn, day, minor, currency, masked, auth, settled) = text.split(SEPARATOR)
        rows.append((import_id, int(line), terminal, stan, rrn, day, int(minor), currency, masked or None,
                     auth or None, settled or None, _match(db, terminal, stan, rrn, day)))
    db.executemany("INSERT INTO settlement_lines (import_id, line, terminal_id, stan, rrn, date, amount_minor, "
                   "currency, masked, auth_code, settlement_date, txn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   rows)


def _match(db: sqlite3.Connection, terminal: str, stan: str, rrn: str, day: str) -> int | None:
    """The transaction a line names: by RRN, the acquirer's own reference; else by STAN and date (either
    the counter's or UTC, whichever the acquirer writes) among requests that got no RRN of their own —
    one the acquirer charged while the terminal never heard its answer."""
    if rrn:
        found = db.execute("SELECT id FROM card_transactions WHERE terminal_id = ? AND rrn = ? "
                           "ORDER BY id DESC LIMIT 1", (terminal, rrn)).fetchone()
        if found is not None:
            return found[0]
    found = db.execute("SELECT id FROM card_transactions WHERE terminal_id = ? AND stan = ? "
                       "AND (local_date = ? OR utc_date = ?) AND (rrn IS NULL OR ? = '') ORDER BY id DESC LIMIT 1",
                       (terminal, stan, day, day, rrn)).fetchone()
    return None if found is None else found[0]


def _digits(text: Any) -> int:
    """A numeric field as a number; one the agent could never have sent (not digits) counts as 0 rather than
    refusing the event that carries it."""
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else 0


def _local_date(mmdd: str | None, sent: datetime) -> date:
    """The counter's date from field 13 (MMDD) and the year of the time it was journaled: whichever of last
    year, this year and next year puts it nearest (a sale at midnight on New Year's Eve)."""
    if not mmdd or len(mmdd) != 4 or not mmdd.isdigit():
        return sent.date()
    candidates = []
    for year in (sent.year - 1, sent.year, sent.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    return min(candidates, key=lambda day: abs(day - sent.date()), default=sent.date())
