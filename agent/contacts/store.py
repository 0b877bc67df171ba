"""The contact store: validated contacts go into the journal encrypted, come back decrypted for the case
that needs them, and are crypto-shredded when their retention ends (money rule 5).

Nothing personal is ever in clear in the journal: the event payloads carry ids, flags, the channel and
the sealed details; the `contacts` projection carries no details at all.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.contacts import crypto
from agent.contacts.contact import Contact, ContactDetails, ContactForm, ContactRow, Declined, Purged
from agent.contacts.errors import ContactKeyError, ContactUnavailable
from agent.contacts.fields import check_region
from agent.contacts.projection import PURGED, RECORDED, UPDATED
from agent.journal import Journal

# A wrapped known value: opening the store with a different master key fails at once, instead of
# recording new contacts under a key that cannot read the old ones.
KEY_CHECK_ID = "contacts:key-check"
_KEY_CHECK_VALUE = b"recoup contacts master key check"


def key_id_of(contact_id: str) -> str:
    """The `data_keys` row of one contact; namespaced because the table is shared with other stores."""
    return f"contact:{contact_id}"


def new_contact_id() -> str:
    """'ct-' and 16 base32 characters: random, and without the long digit runs the card-data guard
    would take for a card number."""
    return "ct-" + base64.b32encode(secrets.token_bytes(10)).decode().lower()


@dataclass(frozen=True)
class PurgeReport:
    purged: int
    kept: int
    cutoff: datetime


class ContactStore:
    """Contacts of one journal under one master key; refuses at construction a key that is not the one
    the journal's contacts were stored with."""

    def __init__(self, journal: Journal, master_key: bytes, *, default_region: str = "CN") -> None:
        if len(master_key) != crypto.KEY_BYTES:
            raise ValueError(f"the contact master key must be {crypto.KEY_BYTES} bytes, "
                             f"not {len(master_key)}")
        self._journal = journal
        self._master_key = master_key
        self.region = check_region(default_region)
        self._check_master_key()

    def _check_master_key(self) -> None:
        with self._journal.transaction():
            row = self._journal.query("SELECT wrapped_key FROM data_keys WHERE key_id = ?", (KEY_CHECK_ID,))
            if not row:
                self._store_key(KEY_CHECK_ID, _KEY_CHECK_VALUE, self._journal.clock.now())
        if row:
            crypto.unwrap(self._master_key, KEY_CHECK_ID, row[0][0])  # raises ContactKeyError on a wrong key

    def _store_key(self, key_id: str, key: bytes, now: datetime) -> None:
        self._journal.execute(
            "INSERT INTO data_keys (key_id, wrapped_key, created_at) VALUES (?, ?, ?)",
            (key_id, crypto.wrap(self._master_key, key_id, key), now.isoformat()),
        )

    # -- writing ---------------------------------------------------------------------------------

    def record(self, *, consent: Any, name: Any = None, phone: Any = None, email: Any = None,
               channel: Any = None, wechat_id: Any = None, note: Any = None,
               case_id: str | None = None) -> str:
        """Validate and store a new contact; returns its id. Raises `ContactFormError` listing every
        field error, and stores nothing unless the customer consented."""
        details = ContactForm(consent=consent, name=name, phone=phone, email=email, channel=channel,
                              wechat_id=wechat_id, note=note).validate(self.region)
        contact_id = new_contact_id()
        data_key = crypto.new_data_key()
        now = self._journal.clock.now()
        with self._journal.transaction():
            self._store_key(key_id_of(contact_id), data_key, now)
            self._journal.append(RECORDED, self._sealed(contact_id, case_id, details, data_key, now),
                                 stream=case_id, at=now)
        return contact_id

    def record_declined(self, case_id: str | None = None) -> str:
        """The customer was asked and declined: an answer worth recording, with no personal data."""
        contact_id = new_contact_id()
        self._journal.append(RECORDED, {"contact_id": contact_id, "case_id": case_id, "declined": True,
                                        "consent": False}, stream=case_id)
        return contact_id

    def update(self, contact_id: str, *, consent: Any, name: Any = None, phone: Any = None, email: Any = None,
               channel: Any = None, wechat_id: Any = None, note: Any = None) -> None:
        """Replace a held contact's details with a newly validated form (consent is asked again).

        The new version is sealed under the contact's existing data key, so one key deletion at purge
        destroys every version.
        """
        details = ContactForm(consent=consent, name=name, phone=phone, email=email, channel=channel,
                              wechat_id=wechat_id, note=note).validate(self.region)
        case_id = self._held(contact_id).case_id
        now = self._journal.clock.now()
        payload = self._sealed(contact_id, case_id, details, self._data_key(contact_id), now)
        self._journal.append(UPDATED, payload, stream=case_id, at=now)

    def _sealed(self, contact_id: str, case_id: str | None, details: ContactDetails, data_key: bytes,
                now: datetime) -> dict[str, Any]:
        plaintext = json.dumps(details.to_json(), ensure_ascii=False, sort_keys=True).encode()
        nonce, ciphertext = crypto.seal(data_key, contact_id, plaintext)
        return {"contact_id": contact_id, "case_id": case_id, "declined": False, "consent": True,
                "consented_at": now.isoformat(), "channel": details.channel.value,
                "nonce": base64.b64encode(nonce).decode(),
                "ciphertext": base64.b64encode(ciphertext).decode()}

    def purge(self, older_than: timedelta, now: datetime | None = None) -> PurgeReport:
        return purge_contacts(self._journal, older_than, now)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, contact_id: str) -> Contact | Declined | Purged:
        rows = self._journal.query(
            "SELECT stream, created_at, updated_at, declined, purged, purged_at, data_seq FROM contacts"
            " WHERE contact_id = ?", (contact_id,))
        if not rows:
            raise ContactUnavailable(f"no contact with id {contact_id!r}", code="unknown_id", contact_id=contact_id)
        case_id, created, updated, declined, purged, purged_at, data_seq = rows[0]
        recorded_at = datetime.fromisoformat(created)
        if declined:
            return Declined(contact_id, case_id, recorded_at)
        if purged:
            return Purged(contact_id, case_id, recorded_at, datetime.fromisoformat(purged_at))
        (payload_text,), = self._journal.query("SELECT payload FROM events WHERE seq = ?", (data_seq,))
        payload = json.loads(payload_text)
        nonce, ciphertext = (base64.b64decode(payload[name]) for name in ("nonce", "ciphertext"))
        plaintext = crypto.open_sealed(self._data_key(contact_id), contact_id, nonce, ciphertext)
        return Contact(contact_id, case_id, ContactDetails.from_json(json.loads(plaintext)),
                       consented_at=datetime.fromisoformat(payload["consented_at"]), recorded_at=recorded_at,
                       updated_at=datetime.fromisoformat(updated))

    def list(self) -> list[ContactRow]:
        """Every contact, oldest first, masked: what a manager may see."""
        ids = self._journal.query("SELECT contact_id FROM contacts ORDER BY created_at, contact_id")
        return [_row_of(self.get(contact_id)) for (contact_id,) in ids]

    def _held(self, contact_id: str) -> Contact:
        found = self.get(contact_id)
        if not isinstance(found, Contact):
            state = "purged" if isinstance(found, Purged) else "a declined answer"
            raise ContactUnavailable(f"contact {contact_id} is {state}; record a new contact instead",
                                     code="purged" if isinstance(found, Purged) else "declined", contact_id=contact_id)
        return found

    def _data_key(self, contact_id: str) -> bytes:
        key_id = key_id_of(contact_id)
        rows = self._journal.query("SELECT wrapped_key FROM data_keys WHERE key_id = ?", (key_id,))
        if not rows:
            raise ContactKeyError(f"data key {key_id!r} is missing although the contact was never purged; "
                                  f"the journal's data_keys table was altered", code="key_missing", key_id=key_id)
        return crypto.unwrap(self._master_key, key_id, rows[0][0])


def _row_of(found: Contact | Declined | Purged) -> ContactRow:
    if isinstance(found, Contact):
        details = found.details
        return ContactRow(found.contact_id, found.case_id, found.recorded_at, found.updated_at, "held",
                          details.channel.value, details.masked_name, details.masked_phone,
                          details.masked_email, details.masked_wechat_id)
    if isinstance(found, Declined):
        return ContactRow(found.contact_id, found.case_id, found.recorded_at, found.recorded_at, "declined",
                          None)
    return ContactRow(found.contact_id, found.case_id, found.recorded_at, found.purged_at, "purged", None)


def purge_contacts(journal: Journal, older_than: timedelta, now: datetime | None = None) -> PurgeReport:
    """Crypto-shred every held contact last recorded or updated more than `older_than` before `now`.

    Retention counts from the last update because consent is given again with each update. Needs no
    master key, so a lost key never blocks a purge. Key deletions and `contact_purged` events commit
    together; `secure_delete` and a WAL truncation keep the deleted wrapped keys from lingering in free
    pages or old WAL frames (if another connection holds the WAL open, its next checkpoint does this).
    """
    if older_than < timedelta(0):
        raise ValueError("a retention period cannot be negative")
    now = now or journal.clock.now()
    if now.tzinfo is None:
        raise ValueError("purge needs a timezone-aware time")
    cutoff = now - older_than
    held = journal.query(
        "SELECT contact_id, stream, updated_at FROM contacts WHERE purged = 0 AND declined = 0")
    due = [(contact_id, case_id) for contact_id, case_id, updated in held
           if datetime.fromisoformat(updated) < cutoff]
    if not due:
        return PurgeReport(purged=0, kept=len(held), cutoff=cutoff)
    (secure_delete,), = journal.query("PRAGMA secure_delete")
    journal.execute("PRAGMA secure_delete = ON")
    try:
        with journal.transaction():
            for contact_id, case_id in due:
                journal.execute("DELETE FROM data_keys WHERE key_id = ?", (key_id_of(contact_id),))
                journal.append(PURGED, {"contact_id": contact_id, "case_id": case_id, "reason": "retention",
                                        "cutoff": cutoff.isoformat()}, stream=case_id, at=now)
    finally:
        journal.execute(f"PRAGMA secure_delete = {int(secure_delete)}")
    journal.query("PRAGMA wal_checkpoint(TRUNCATE)")
    return PurgeReport(purged=len(due), kept=len(held) - len(due), cutoff=cutoff)
