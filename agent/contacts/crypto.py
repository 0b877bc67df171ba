"""Envelope encryption for contacts, so that retention can be enforced on an append-only log.

Each contact's details are sealed (AES-256-GCM) under the contact's own random data key; that data key
is stored only wrapped by the install's master key, in the journal's `data_keys` table. The events can
never be rewritten, but deleting one wrapped key makes every version of that contact's ciphertext
permanently unreadable (crypto-shredding).

The associated data binds each ciphertext to its contact and purpose: a ciphertext or wrapped key copied
onto another contact's record fails authentication instead of showing the wrong customer's details.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from agent.contacts.errors import ContactKeyError

KEY_BYTES = 32
NONCE_BYTES = 12


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _aad(purpose: str, name: str) -> bytes:
    return f"recoup/contact/v1/{purpose}\x00{name}".encode()


def wrap(master_key: bytes, key_id: str, data_key: bytes) -> bytes:
    """nonce ‖ AES-GCM(master, data key): the form a data key takes at rest."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, _aad("key", key_id))


def unwrap(master_key: bytes, key_id: str, wrapped: bytes) -> bytes:
    try:
        return AESGCM(master_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad("key", key_id))
    except InvalidTag:
        raise ContactKeyError(
            f"the contact master key does not open data key {key_id!r}: it is not the key the contacts "
            f"in this journal were stored with (check RECOUP_CONTACT_KEY or the contacts key file)",
            code="wrong_key", key_id=key_id,
        ) from None


def seal(data_key: bytes, contact_id: str, plaintext: bytes) -> tuple[bytes, bytes]:
    """(nonce, ciphertext) of one version of a contact's details."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(data_key).encrypt(nonce, plaintext, _aad("details", contact_id))


def open_sealed(data_key: bytes, contact_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, _aad("details", contact_id))
    except InvalidTag:
        raise ContactKeyError(
            f"the stored details of contact {contact_id} do not authenticate under its data key: the "
            f"record was altered or moved from another contact",
            code="altered", contact_id=contact_id,
        ) from None
