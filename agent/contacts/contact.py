"""The contact the cashier captures at the counter, from the raw form to the stored record.

Every object here that holds personal data prints masked: a contact that ends up in a log line, a
traceback or a debugger's repr shows `138****8000`, never the number (money rule 5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.contacts import fields
from agent.contacts.errors import ContactError, ContactFormError
from agent.contacts.mask import mask_email, mask_name, mask_phone, mask_wechat_id


class Channel(enum.Enum):
    """How the customer prefers to hear back about their case."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    WECHAT = "wechat"


def parse_channel(value: Any) -> Channel | None:
    if isinstance(value, Channel):
        return value
    text = fields.text_of("channel", value)
    if text is None:
        return None
    try:
        return Channel(text.lower())
    except ValueError:
        choices = ", ".join(c.value for c in Channel)
        raise ContactError("channel", f"must be one of {choices}", code="channel_unknown", choices=choices) from None


_INVALID = object()  # a field that failed its own check, so "missing" errors are not piled on top


@dataclass(frozen=True, repr=False)
class ContactForm:
    """What the cashier typed, unchecked. `validate` turns it into `ContactDetails` or reports every
    field error at once."""

    consent: Any = False
    name: Any = None
    phone: Any = None
    email: Any = None
    channel: Any = None
    wechat_id: Any = None
    note: Any = None

    def __repr__(self) -> str:
        filled = [name for name in ("name", "phone", "email", "channel", "wechat_id", "note")
                  if getattr(self, name) not in (None, "")]
        return f"ContactForm(consent={self.consent!r}, filled={filled})"

    def errors(self, region: str = "CN") -> list[ContactError]:
        """Every field error, in form order; empty when the form can be stored."""
        try:
            self.validate(region)
        except ContactFormError as exc:
            return exc.errors
        return []

    def validate(self, region: str = "CN") -> ContactDetails:
        errors: list[ContactError] = []

        def check(parse: Any, *args: Any) -> Any:
            try:
                return parse(*args)
            except ContactError as exc:
                errors.append(exc)
                return _INVALID

        if self.consent is not True:
            errors.append(ContactError("consent", "must be yes or no", code="consent_not_bool")
                          if not isinstance(self.consent, bool) else
                          ContactError("consent", "the customer must agree before anything is stored",
                                       code="consent_required"))
        name = check(fields.parse_name, self.name)
        phone = check(fields.parse_phone, self.phone, region)
        email = check(fields.parse_email, self.email)
        channel = check(parse_channel, self.channel)
        wechat_id = check(fields.parse_wechat_id, self.wechat_id)
        note = check(fields.parse_note, self.note)
        if channel is not _INVALID:
            channel = _reachable_by(channel, phone, email, wechat_id, errors)
        if errors:
            raise ContactFormError(errors)
        return ContactDetails(channel=channel, name=name, phone=phone, email=email, wechat_id=wechat_id,
                              note=note)


def _reachable_by(channel: Channel | None, phone: Any, email: Any, wechat_id: Any,
                  errors: list[ContactError]) -> Channel:
    """The preferred channel, checked against the details given (or inferred from them when not chosen).

    A contact nobody can reach is no use to a follow-up, so at least one way to reach the customer is
    required; a field that already failed its own check is not reported again as missing.
    """
    if channel is None:
        if phone is not None:
            return Channel.PHONE
        if wechat_id is not None:
            return Channel.WECHAT
        if email is not None:
            return Channel.EMAIL
        errors.append(ContactError("phone", "give a phone number, an email address or a WeChat id so the "
                                            "customer can be reached", code="unreachable"))
        return Channel.PHONE
    if channel in (Channel.PHONE, Channel.SMS) and phone is None:
        errors.append(ContactError("phone", f"needed for the preferred channel, {channel.value}",
                                   code="channel_needs_phone", channel=channel.value))
    elif channel is Channel.EMAIL and email is None:
        errors.append(ContactError("email", "needed for the preferred channel, email", code="channel_needs_email"))
    elif channel is Channel.WECHAT and wechat_id is None and phone is None:
        errors.append(ContactError("wechat_id", "WeChat needs a WeChat id, or the phone number the "
                                                "customer's WeChat is registered with", code="wechat_needs_id"))
    return channel


@dataclass(frozen=True, repr=False)
class ContactDetails:
    """The personal fields, validated and normalised: the only part of a contact that is encrypted."""

    channel: Channel
    name: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    wechat_id: str | None = None
    note: str | None = None

    @property
    def masked_name(self) -> str | None:
        return mask_name(self.name) if self.name else None

    @property
    def masked_phone(self) -> str | None:
        return mask_phone(self.phone) if self.phone else None

    @property
    def masked_email(self) -> str | None:
        return mask_email(self.email) if self.email else None

    @property
    def masked_wechat_id(self) -> str | None:
        return mask_wechat_id(self.wechat_id) if self.wechat_id else None

    def __repr__(self) -> str:
        shown = {"name": self.masked_name, "phone": self.masked_phone, "email": self.masked_email,
                 "wechat_id": self.masked_wechat_id}
        parts = [f"channel={self.channel.value}"]
        parts += [f"{key}={value!r}" for key, value in shown.items() if value]
        if self.note:
            parts.append(f"note=<{len(self.note)} characters>")
        return f"ContactDetails({', '.join(parts)})"

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "channel": self.channel.value, "name": self.name, "phone": self.phone,
                "email": self.email, "wechat_id": self.wechat_id, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContactDetails:
        return cls(channel=Channel(data["channel"]), name=data["name"], phone=data["phone"],
                   email=data["email"], wechat_id=data["wechat_id"], note=data["note"])


@dataclass(frozen=True)
class Contact:
    """A stored contact with its personal details decrypted (its repr stays masked via `details`)."""

    contact_id: str
    case_id: str | None
    details: ContactDetails
    consented_at: datetime
    recorded_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Declined:
    """The customer was asked and chose not to leave details: recorded as an answer, with no data."""

    contact_id: str
    case_id: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class Purged:
    """A contact whose data key was destroyed at the end of retention: the record stays, the data cannot
    come back."""

    contact_id: str
    case_id: str | None
    recorded_at: datetime
    purged_at: datetime


@dataclass(frozen=True)
class ContactRow:
    """One line of the manager's contact list: masked details only."""

    contact_id: str
    case_id: str | None
    recorded_at: datetime
    updated_at: datetime
    status: str  # "held", "declined" or "purged"
    channel: str | None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat_id: str | None = None
