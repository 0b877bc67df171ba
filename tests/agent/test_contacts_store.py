import json
import os
from datetime import timedelta

import pytest

from agent.contacts import (
    Channel,
    Contact,
    ContactFormError,
    ContactKeyError,
    ContactStore,
    ContactUnavailable,
    Declined,
    crypto,
)
from agent.journal import Journal
from domain.clock import VirtualClock

MASTER = bytes(range(32))
PERSON = {"name": "张三丰", "phone": "138 0013 8000", "email": "zhangsanfeng@example.com",
          "wechat_id": "zsf_wudang", "note": "回头客，周五再来取退款", "channel": "sms"}


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


def test_recorded_contact_reads_back_decrypted_and_normalised(store, clock):
    contact_id = store.record(consent=True, case_id="case-1", **PERSON)
    contact = store.get(contact_id)
    assert isinstance(contact, Contact)
    assert (contact.contact_id, contact.case_id) == (contact_id, "case-1")
    details = contact.details
    assert (details.name, details.phone, details.email, details.wechat_id, details.note, details.channel) == (
        "张三丰", "+8613800138000", "zhangsanfeng@example.com", "zsf_wudang", "回头客，周五再来取退款", Channel.SMS)
    assert contact.consented_at == contact.recorded_at == contact.updated_at == clock.now()


def test_contact_events_carry_no_personal_data_and_belong_to_the_case(store, journal):
    contact_id = store.record(consent=True, case_id="case-1", **PERSON)
    (event,) = journal.events(stream="case-1")
    assert event.kind == "contact_recorded"
    assert set(event.payload) == {"contact_id", "case_id", "declined", "consent", "consented_at", "channel",
                                  "nonce", "ciphertext"}
    assert (event.payload["contact_id"], event.payload["consent"], event.payload["declined"],
            event.payload["channel"]) == (contact_id, True, False, "sms")


def test_declined_is_recorded_without_any_personal_data(store, journal):
    contact_id = store.record_declined(case_id="case-2")
    assert store.get(contact_id) == Declined(contact_id, "case-2", journal.clock.now())
    (event,) = journal.events(kind="contact_recorded")
    assert event.payload == {"contact_id": contact_id, "case_id": "case-2", "declined": True, "consent": False}
    assert journal.query("SELECT consent, declined, channel, data_seq FROM contacts") == [(0, 1, None, None)]


def test_without_consent_nothing_is_stored(store, journal):
    before = (journal.last_seq(), journal.query("SELECT count(*) FROM data_keys"))
    with pytest.raises(ContactFormError, match="consent: the customer must agree before anything is stored"):
        store.record(consent=False, **PERSON)
    assert (journal.last_seq(), journal.query("SELECT count(*) FROM data_keys")) == before


def _needles() -> list[bytes]:
    clear = ["张三丰", "13800138000", "8613800138000", "138 0013 8000", "zhangsanfeng", "zsf_wudang", "回头客",
             "周五再来", "138****8000", "z***@example.com", "张**"]  # not even the masked forms
    found = []
    for text in clear:
        escaped = json.dumps(text)[1:-1]  # \u5f20... as an ensure_ascii JSON would store it
        for encoded in (text.encode(), text.encode("utf-16-le"), text.encode("utf-16-be"), escaped.encode(),
                        text.encode("gb18030")):
            found.append(encoded)
    return found


def test_personal_data_is_not_in_clear_anywhere_in_the_database_files(tmp_path, clock):
    path = tmp_path / "journal.sqlite"
    with Journal.open(path, clock=clock) as journal:
        store = ContactStore(journal, MASTER)
        contact_id = store.record(consent=True, case_id="case-1", **PERSON)
        store.update(contact_id, consent=True, **PERSON)
        rows = journal.query("SELECT * FROM events") + journal.query("SELECT * FROM contacts")
        on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # journal, -wal and -shm alike
        assert store.get(contact_id).details.name == "张三丰"
    in_tables = repr(rows).encode() + json.dumps(rows, ensure_ascii=False).encode()
    for needle in _needles():
        assert needle not in on_disk, needle
        assert needle not in in_tables, needle
    assert b"ciphertext" in on_disk  # the bytes read really are the journal


def test_update_appends_a_new_version_under_the_same_contact(store, journal, clock):
    contact_id = store.record(consent=True, case_id="case-1", **PERSON)
    recorded = clock.now()
    clock.advance(3600)
    store.update(contact_id, consent=True, phone="+44 7911 123456", channel="wechat", note="moved to London")
    contact = store.get(contact_id)
    assert (contact.details.phone, contact.details.channel, contact.details.name) == (
        "+447911123456", Channel.WECHAT, None)
    assert (contact.recorded_at, contact.updated_at, contact.consented_at) == (recorded, clock.now(), clock.now())
    assert [e.kind for e in journal.events(stream="case-1")] == ["contact_recorded", "contact_updated"]
    with pytest.raises(ContactFormError, match="consent"):
        store.update(contact_id, consent=False, phone="13800138000")
    assert store.get(contact_id).details.phone == "+447911123456"


def test_unknown_and_declined_contacts_cannot_be_read_or_updated(store):
    with pytest.raises(ContactUnavailable, match="no contact with id 'ct-nope'"):
        store.get("ct-nope")
    declined = store.record_declined()
    with pytest.raises(ContactUnavailable, match="is a declined answer; record a new contact instead"):
        store.update(declined, consent=True, phone="13800138000")


def test_a_different_master_key_is_refused_before_anything_is_written(store, journal):
    store.record(consent=True, **PERSON)
    seq = journal.last_seq()
    with pytest.raises(ContactKeyError, match="not the key the contacts in this journal were stored with"):
        ContactStore(journal, os.urandom(32))
    assert journal.last_seq() == seq


def test_master_key_must_be_32_bytes_and_region_known(journal):
    with pytest.raises(ValueError, match="must be 32 bytes, not 16"):
        ContactStore(journal, bytes(16))
    with pytest.raises(ValueError, match="'XX' is not a region code"):
        ContactStore(journal, MASTER, default_region="XX")


def test_store_region_applies_to_numbers_without_country_code(journal):
    store = ContactStore(journal, MASTER, default_region="GB")
    assert store.get(store.record(consent=True, phone="07911 123456")).details.phone == "+447911123456"


def test_ciphertext_is_bound_to_its_contact():
    data_key = crypto.new_data_key()
    nonce, sealed = crypto.seal(data_key, "ct-a", b'{"phone": "+8613800138000"}')
    assert crypto.open_sealed(data_key, "ct-a", nonce, sealed) == b'{"phone": "+8613800138000"}'
    with pytest.raises(ContactKeyError, match="altered or moved from another contact"):
        crypto.open_sealed(data_key, "ct-b", nonce, sealed)
    wrapped = crypto.wrap(MASTER, "contact:ct-a", data_key)
    with pytest.raises(ContactKeyError):
        crypto.unwrap(MASTER, "contact:ct-b", wrapped)


def test_list_shows_masked_rows_for_a_manager(store, clock):
    held = store.record(consent=True, case_id="case-1", **PERSON)
    clock.advance(60)
    declined = store.record_declined(case_id="case-2")
    rows = store.list()
    assert [(r.contact_id, r.status, r.channel) for r in rows] == [(held, "held", "sms"),
                                                                  (declined, "declined", None)]
    assert (rows[0].name, rows[0].phone, rows[0].email, rows[0].wechat_id) == (
        "张**", "138****8000", "z***@example.com", "zs***ng")


def test_projection_rebuilt_from_the_log_equals_the_live_one(store, journal, clock):
    first = store.record(consent=True, case_id="case-1", **PERSON)
    store.record(consent=True, case_id="case-3", phone="13700137000")
    store.record_declined(case_id="case-2")
    clock.advance(86400 * 100)
    store.update(first, consent=True, email="new@example.com")
    store.record(consent=True, phone="13900139000")
    assert store.purge(timedelta(days=90)).purged == 1
    live = journal.query("SELECT * FROM contacts ORDER BY contact_id")
    journal.rebuild_projections()
    assert journal.query("SELECT * FROM contacts ORDER BY contact_id") == live
    assert sorted((consent, declined, purged) for _, _, _, _, consent, declined, _, purged, *_ in live) == [
        (0, 1, 0), (1, 0, 0), (1, 0, 0), (1, 0, 1)]
