from datetime import datetime, timedelta

import pytest

from agent.contacts import Contact, ContactStore, Declined, Purged, purge_contacts
from agent.contacts.store import key_id_of
from agent.journal import Journal
from domain.clock import VirtualClock

MASTER = bytes(range(32))
DAY = 86400.0
RETENTION = timedelta(days=90)


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def journal(tmp_path, clock):
    with Journal.open(tmp_path / "journal.sqlite", clock=clock) as journal:
        yield journal


@pytest.fixture
def store(journal):
    return ContactStore(journal, MASTER)


def snapshot(journal):
    return [(e.seq, e.at, e.kind, e.stream, e.payload) for e in journal.events()]


def wrapped_key(journal, contact_id) -> bytes:
    (row,) = journal.query("SELECT wrapped_key FROM data_keys WHERE key_id = ?", (key_id_of(contact_id),))
    return row[0]


def test_old_contacts_are_shredded_and_the_rest_untouched(store, journal, clock, tmp_path):
    old = store.record(consent=True, case_id="case-old", name="张三", phone="13800138000")
    store.update(old, consent=True, name="张三", phone="13900139000")  # purge must destroy both versions
    declined = store.record_declined(case_id="case-declined")
    clock.advance(60 * DAY)
    recent = store.record(consent=True, case_id="case-new", email="li@example.com")
    clock.advance(40 * DAY)  # old: 100 days, recent: 40 days
    old_wrapped = wrapped_key(journal, old)
    before = snapshot(journal)
    recent_before = store.get(recent)

    report = store.purge(RETENTION, clock.now())

    assert (report.purged, report.kept, report.cutoff) == (1, 1, clock.now() - RETENTION)
    assert store.get(old) == Purged(old, "case-old", before[0][1], clock.now())
    assert store.get(recent) == recent_before
    assert isinstance(store.get(declined), Declined)
    after = snapshot(journal)
    assert after[:len(before)] == before, "the event log is append-only: nothing before the purge changed"
    assert [(kind, stream, payload["contact_id"]) for _, _, kind, stream, payload in after[len(before):]] == [
        ("contact_purged", "case-old", old)]
    assert journal.query("SELECT key_id FROM data_keys WHERE key_id = ?", (key_id_of(old),)) == []
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert old_wrapped not in on_disk, "the destroyed data key lingers in the database or WAL file"
    assert wrapped_key(journal, recent) in on_disk


def test_purged_contacts_stay_unreadable_even_with_the_master_key(store, journal, clock):
    old = store.record(consent=True, phone="13800138000")
    clock.advance(91 * DAY)
    store.purge(RETENTION)
    reopened = ContactStore(journal, MASTER)
    assert isinstance(reopened.get(old), Purged)
    assert [row.status for row in reopened.list()] == ["purged"]
    journal.rebuild_projections()
    assert isinstance(reopened.get(old), Purged)


def test_an_update_restarts_retention_because_consent_was_given_again(store, clock):
    contact_id = store.record(consent=True, phone="13800138000")
    clock.advance(60 * DAY)
    store.update(contact_id, consent=True, phone="13800138000", channel="sms")
    clock.advance(40 * DAY)
    assert store.purge(RETENTION).purged == 0
    assert isinstance(store.get(contact_id), Contact)


def test_purge_with_nothing_due_appends_nothing(store, journal, clock):
    store.record(consent=True, phone="13800138000")
    store.record_declined()
    clock.advance(10 * DAY)
    seq = journal.last_seq()
    assert (store.purge(RETENTION).purged, store.purge(RETENTION).kept) == (0, 1)
    assert journal.last_seq() == seq


def test_purge_is_all_or_nothing(store, journal, clock, monkeypatch):
    ids = [store.record(consent=True, phone=f"1380013800{n}") for n in range(3)]
    clock.advance(100 * DAY)
    before = snapshot(journal)
    real_append, calls = journal.append, []

    def failing_append(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise OSError("disk full")
        return real_append(*args, **kwargs)

    monkeypatch.setattr(journal, "append", failing_append)
    with pytest.raises(OSError, match="disk full"):
        purge_contacts(journal, RETENTION)
    monkeypatch.undo()
    assert snapshot(journal) == before
    assert all(isinstance(store.get(contact_id), Contact) for contact_id in ids)
    assert store.purge(RETENTION).purged == 3


def test_purge_needs_no_master_key(journal, clock):
    ContactStore(journal, MASTER).record(consent=True, phone="13800138000")
    clock.advance(100 * DAY)
    assert purge_contacts(journal, RETENTION).purged == 1


def test_purge_refuses_nonsense_times(store):
    with pytest.raises(ValueError, match="cannot be negative"):
        store.purge(timedelta(days=-1))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.purge(RETENTION, datetime(2026, 1, 1))
