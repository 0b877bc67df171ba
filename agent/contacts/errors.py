"""Errors a cashier can act on: each names the form field and says what is wrong with it, and never
repeats the value itself, so an error message is as safe to log as the masked contact.
"""

from __future__ import annotations

from collections.abc import Sequence

# Why a field is refused: `ContactError.code`, so a screen can say it in the cashier's own language.
REFUSALS = (
    "not_text", "card_number", "too_long", "name_no_letter", "wechat_id_form",
    "email_spaces", "email_invisible", "email_no_at", "email_two_at", "email_local_empty", "email_local_long",
    "email_local_dots", "email_local_char", "email_domain_empty", "email_domain_no_dot", "email_domain_empty_label",
    "email_domain_hyphen", "email_domain_chars", "email_domain_top", "email_domain_idna",
    "phone_input_long", "phone_letters", "phone_chars", "phone_country_code", "phone_not_a_number",
    "phone_short_after_idd", "phone_nsn_short", "phone_nsn_long", "phone_no_country", "phone_too_long",
    "phone_too_short", "phone_local_only", "phone_invalid",
    "channel_unknown", "consent_not_bool", "consent_required", "unreachable", "channel_needs_phone",
    "channel_needs_email", "wechat_needs_id",
)
# Why a contact cannot be read: `ContactUnavailable.code` (no such id; details declined or purged) and
# `ContactKeyError.code` (the key is not the one they were stored with; the record or its key was altered).
UNAVAILABLE = ("unknown_id", "declined", "purged")
KEY_PROBLEMS = ("wrong_key", "altered", "key_missing")


class ContactError(ValueError):
    """One field is wrong: `field` is the form field's name, `reason` the sentence in English (logs, the
    command line). `code` (one of REFUSALS) and `facts` (the numbers and names the sentence uses) are what a
    screen puts into the cashier's own language."""

    def __init__(self, field: str, reason: str, *, code: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.code = code
        self.facts = facts


class ContactFormError(ContactError):
    """Every field error of one form at once, so the UI can mark them all inline in one pass.

    It is also a `ContactError` for the first of them, so callers that handle one error need not care.
    """

    def __init__(self, errors: Sequence[ContactError]) -> None:
        super().__init__(errors[0].field, errors[0].reason, code=errors[0].code, **errors[0].facts)
        self.errors = list(errors)
        self.args = ("; ".join(str(error) for error in self.errors),)


class ContactUnavailable(LookupError):
    """The contact id is unknown, or its data is gone (purged, or the customer declined to give any). The
    message is for logs and the command line; `code` (one of UNAVAILABLE) and `facts` are for a screen."""

    def __init__(self, message: str, *, code: str, **facts: object) -> None:
        assert code in UNAVAILABLE, code
        super().__init__(message)
        self.code = code
        self.facts = facts


class ContactKeyError(ValueError):
    """Contact data does not decrypt: the master key is not the one it was stored with, or the stored
    record was altered. Never worked around by minting a new key, which would orphan the old data. `code`
    (one of KEY_PROBLEMS) and `facts` as for ContactUnavailable."""

    def __init__(self, message: str, *, code: str, **facts: object) -> None:
        assert code in KEY_PROBLEMS, code
        super().__init__(message)
        self.code = code
        self.facts = facts
