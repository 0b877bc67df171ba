"""Errors a cashier can act on: each names the form field and says what is wrong with it, and never
repeats the value itself, so an error message is as safe to log as the masked contact.
"""

from __future__ import annotations

from collections.abc import Sequence


class ContactError(ValueError):
    """One field is wrong: `field` is the form field's name, `reason` is the cashier-facing sentence."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ContactFormError(ContactError):
    """Every field error of one form at once, so the UI can mark them all inline in one pass.

    It is also a `ContactError` for the first of them, so callers that handle one error need not care.
    """

    def __init__(self, errors: Sequence[ContactError]) -> None:
        super().__init__(errors[0].field, errors[0].reason)
        self.errors = list(errors)
        self.args = ("; ".join(str(error) for error in self.errors),)


class ContactUnavailable(LookupError):
    """The contact id is unknown, or its data is gone (purged, or the customer declined to give any)."""


class ContactKeyError(ValueError):
    """Contact data does not decrypt: the master key is not the one it was stored with, or the stored
    record was altered. Never worked around by minting a new key, which would orphan the old data."""
