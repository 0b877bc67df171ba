import os
import sqlite3
import stat
import threading

import pytest

from agent.journal import CardDataRefused, Journal, JournalError, SchemaTooNew
from agent.journal.guard import check_payload
from domain.card import Card, CardHasher, Expiry
from domain.clock import VirtualClock
from domain.events import CardRead, EntryMode, ReadCheck, ReadError


@pytest.fixture
def journal(tmp_path):
    with Journal.open(tmp_path / "j.sqlite", clock=VirtualClock()) as j:
        yield j


def test_append_returns_committed_event_readable_from_a_second_connection(journal):
    event = journal.append("note", {"text": "opened"}, stream="sale-1")
    other = sqlite3.connect(journal.path)
    assert other.execute("SELECT kind, stream FROM events WHERE seq = ?", (event.seq,)).fetchone() == (
        "note", "sale-1")
    assert [e.payload for e in journal.events(stream="sale-1")] == [{"text": "opened"}]


def test_durability_pragmas(journal):
    assert journal.query("PRAGMA journal_mode")[0][0] == "wal"
    assert journal.query("PRAGMA synchronous")[0][0] == 2  # FULL


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_new_journal_file_is_private(tmp_path):
    Journal.open(tmp_path / "private.sqlite").close()
    assert stat.S_IMODE(os.stat(tmp_path / "private.sqlite").st_mode) == 0o600


def test_events_are_append_only(journal):
    journal.append("note", {"text": "x"})
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.execute("UPDATE events SET kind = 'other'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.execute("DELETE FROM events")


def test_a_failed_transaction_leaves_nothing_behind(journal):
    with pytest.raises(RuntimeError), journal.transaction():
        journal.append("note", {"n": 1})
        raise RuntimeError("crash between two writes")
    assert journal.last_seq() == 0


def test_domain_events_are_journaled_masked(journal):
    card = Card("4111111111111111", Expiry(2030, 12), "201")
    hasher = CardHasher(b"k" * 32)
    event = journal.append_domain(CardRead(card, EntryMode.SWIPE), card_hash=hasher(card.pan).hex)
    assert event.payload["card"]["masked"] == "411111******1111"
    raw = journal.path.read_bytes() + journal.path.with_name(journal.path.name + "-wal").read_bytes()
    assert b"4111111111111111" not in raw


def test_projections_rebuilt_from_events_equal_the_live_ones(journal):
    hasher = CardHasher(b"k" * 32)
    for pan in ("4111111111111111", "5555555555554444"):
        card = Card(pan, Expiry(2030, 12), "201")
        journal.append_domain(CardRead(card, EntryMode.CHIP), card_hash=hasher(pan).hex)
    journal.append_domain(ReadError(ReadCheck.LUHN, "Luhn check failed"))
    live = journal.query("SELECT * FROM reads ORDER BY seq")
    journal.rebuild_projections()
    assert journal.query("SELECT * FROM reads ORDER BY seq") == live
    assert [row[2] for row in live] == ["read", "read", "error"]


def test_a_stale_projection_is_rebuilt_on_open(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal.open(path) as journal:
        journal.append_domain(ReadError(ReadCheck.EXPIRY, "expired"))
        journal.execute("DELETE FROM reads")
        journal.execute("UPDATE projection_versions SET version = 0 WHERE name = 'reads'")
    with Journal.open(path) as journal:
        assert journal.query("SELECT failed FROM reads") == [("expiry",)]


def test_a_database_from_a_newer_recoup_is_refused(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal.open(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(SchemaTooNew, match="version 99"):
        Journal.open(path)


def test_a_file_that_is_not_a_journal_is_refused_clearly(tmp_path):
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalError, match="not a recoup journal"):
        Journal.open(path)


@pytest.mark.parametrize("payload, field", [
    ({"note": "card 4111111111111111 swiped"}, "note"),
    ({"a": {"b": ["x", "4111 1111 1111 1111"]}}, "a.b[1]"),
    ({"pan": 5555555555554444}, "pan"),
    ({"pan": 4111111111111111.0}, "pan"),  # a float holds 16 digits exactly, and JSON writes them out
    ({"raw": "%B4111111111111111^DOE/JOHN^3012201?"}, "raw"),
    ({"raw": ";4111111111111112=30122010000?"}, "raw"),
    ({"4111111111111111": "key"}, "411111******1111"),
])
def test_guard_refuses_card_data_naming_event_and_field(journal, payload, field):
    with pytest.raises(CardDataRefused) as refused:
        journal.append("sale_started", payload)
    assert "'sale_started'" in str(refused.value) and repr(field) in str(refused.value)
    assert "4111111111111111" not in str(refused.value) and "5555555555554444" not in str(refused.value)
    assert journal.last_seq() == 0


@pytest.mark.parametrize("payload", [
    {"masked": "411111******1111"},
    {"stan": "000123", "rrn": "602512345678", "amount": {"minor": 5800, "currency": "CNY"}},
    {"card_hash": "1234567890123456789012345678901234567890123456789012345678901234"},
    {"at": "2026-01-05T02:00:00+00:00", "phone_ciphertext": "AbC123=="},
    {"not_luhn": "4111111111111112"},
    {"round_trip_ms": 12.5, "ratio": 0.034, "rtt": 0.33712204936851},  # fractions are never card numbers
    {"86": "0000000000000018", "88": "0000000000123455"},  # zero-padded settlement amounts
])
def test_guard_lets_masked_and_non_card_data_through(payload):
    check_payload("anything", payload)


def test_a_hash_shaped_field_still_cannot_smuggle_a_pan():
    with pytest.raises(CardDataRefused):
        check_payload("x", {"card_hash": "4111111111111111"})


def test_appends_from_several_threads_at_once_each_commit_whole(tmp_path):
    """The agent journals from its event loop while the notifier sends on a worker thread, on one
    connection. Both used to find no transaction open and both BEGIN: 'cannot start a transaction within
    a transaction' (seen as the demo's e-mail step failing now and then)."""
    journal = Journal.open(tmp_path / "j.sqlite")
    errors: list[Exception] = []

    def write(writer: int) -> None:
        try:
            for number in range(50):
                journal.append("note", {"writer": writer, "number": number})
        except Exception as exc:  # the test reports what any thread met
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert journal.query("SELECT COUNT(*) FROM events WHERE kind = 'note'") == [(200,)]
    journal.close()
