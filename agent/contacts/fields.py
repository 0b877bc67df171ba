"""One checker per contact form field: each takes what the cashier typed and returns the normalised value
(None for an empty field) or raises a `ContactError` naming the field and what to fix.

Phone numbers are checked against the region's real numbering plan (libphonenumber metadata), so the
cashier hears "12 digits is too long for a CN mobile number" while the customer is still at the counter,
not a bounce weeks later when a follow-up SMS fails.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult

from agent.contacts.errors import ContactError
from agent.journal.errors import CardDataRefused
from agent.journal.guard import check_payload

NAME_MAX = 80
NOTE_MAX = 500
EMAIL_MAX = 254  # RFC 5321 path limit
EMAIL_LOCAL_MAX = 64
PHONE_INPUT_MAX = 40
LOCAL_NUMBER_MAX = 8  # subscriber numbers without an area code: 7-8 digits in CN

# Separators people type inside phone numbers (ASCII and full-width forms from Chinese IMEs), and plus.
_PHONE_SEPARATORS = frozenset(" \u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d"
                              "/\uff0f().\uff08\uff09[]\uff3b\uff3d~\uff5e+\uff0b")
_EMAIL_LOCAL_SYMBOLS = frozenset("!#$%&'*+/=?^_`{|}~-.")
_WECHAT_ID = re.compile(r"[A-Za-z][-_A-Za-z0-9]{5,19}")

_NOT_A_NUMBER = ("phone_not_a_number", "not a phone number")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: ("phone_country_code",
                                                "the country code after '+' (or 00) is not one in use"),
    NumberParseException.NOT_A_NUMBER: _NOT_A_NUMBER,
    NumberParseException.TOO_SHORT_AFTER_IDD: ("phone_short_after_idd", "too short after the international prefix"),
    NumberParseException.TOO_SHORT_NSN: ("phone_nsn_short", "too short to be a phone number"),
    NumberParseException.TOO_LONG: ("phone_nsn_long", "too long to be a phone number"),
}


def text_of(field: str, value: Any) -> str | None:
    """The field's text, or None if left blank; anything but text is the caller's bug, named per field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ContactError(field, f"must be text, not {type(value).__name__}", code="not_text",
                           kind=type(value).__name__)
    value = value.strip()
    return value or None


def _refuse_card_numbers(field: str, value: str) -> None:
    """Money rule 4 reaches into free text too: a PAN read out and typed into a note is still card data."""
    try:
        check_payload("contact", {field: value})
    except CardDataRefused:
        raise ContactError(field, "looks like a card number; card numbers must never be written down "
                                  "here", code="card_number") from None


def _visible(text: str, *, keep_newlines: bool) -> str:
    """NFC text without control, format (bidi overrides, zero-width), surrogate or private-use code points.

    Those either break the JSON and the screen or make two different-looking strings compare equal.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in text:
        if char == "\n" and keep_newlines:
            kept.append(char)
        elif char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co"):
            kept.append(char)
    return "".join(kept)


def parse_name(value: Any) -> str | None:
    text = text_of("name", value)
    if text is None:
        return None
    name = " ".join(_visible(text, keep_newlines=False).split())
    if not name:
        return None
    if len(name) > NAME_MAX:
        raise ContactError("name", f"{len(name)} characters is longer than the {NAME_MAX} allowed", code="too_long",
                           length=len(name), limit=NAME_MAX)
    if not any(char.isalpha() for char in name):
        raise ContactError("name", "a name needs at least one letter", code="name_no_letter")
    _refuse_card_numbers("name", name)
    return name


def parse_note(value: Any) -> str | None:
    text = text_of("note", value)
    if text is None:
        return None
    lines = [" ".join(line.split()) for line in _visible(text, keep_newlines=True).split("\n")]
    note = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not note:
        return None
    if len(note) > NOTE_MAX:
        raise ContactError("note", f"{len(note)} characters is longer than the {NOTE_MAX} allowed", code="too_long",
                           length=len(note), limit=NOTE_MAX)
    _refuse_card_numbers("note", note)
    return note


def parse_wechat_id(value: Any) -> str | None:
    text = text_of("wechat_id", value)
    if text is None:
        return None
    if not _WECHAT_ID.fullmatch(text):
        raise ContactError("wechat_id", "a WeChat id is 6 to 20 letters, digits, '_' or '-', starting "
                                        "with a letter", code="wechat_id_form")
    _refuse_card_numbers("wechat_id", text)
    return text


def parse_email(value: Any) -> str | None:
    """A syntax check only (no DNS lookup at the counter): local@domain.tld, lower-cased domain."""
    text = text_of("email", value)
    if text is None:
        return None
    if len(text) > EMAIL_MAX:
        raise ContactError("email", f"{len(text)} characters is longer than the {EMAIL_MAX} allowed",
                           code="too_long", length=len(text), limit=EMAIL_MAX)
    if any(char.isspace() for char in text):
        raise ContactError("email", "must not contain spaces", code="email_spaces")
    if not text.isprintable():
        raise ContactError("email", "contains invisible or control characters", code="email_invisible")
    if "@" not in text:
        raise ContactError("email", "missing '@'", code="email_no_at")
    if text.count("@") > 1:
        raise ContactError("email", "more than one '@'", code="email_two_at")
    local, domain = text.split("@")
    _check_local_part(local)
    domain = _checked_domain(domain)
    _refuse_card_numbers("email", text)
    return f"{local}@{domain}"


def _check_local_part(local: str) -> None:
    if not local:
        raise ContactError("email", "nothing before the '@'", code="email_local_empty")
    if len(local) > EMAIL_LOCAL_MAX:
        raise ContactError("email", f"the part before the '@' is longer than {EMAIL_LOCAL_MAX} characters",
                           code="email_local_long", limit=EMAIL_LOCAL_MAX)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ContactError("email", "the part before the '@' cannot start or end with a dot, or have two "
                                    "dots in a row", code="email_local_dots")
    for char in local:
        if not (char.isalnum() or char in _EMAIL_LOCAL_SYMBOLS):
            raise ContactError("email", f"{char!r} is not allowed before the '@'", code="email_local_char", char=char)


def _checked_domain(domain: str) -> str:
    if not domain:
        raise ContactError("email", "nothing after the '@'", code="email_domain_empty")
    labels = domain.lower().split(".")
    if len(labels) < 2:
        raise ContactError("email", "the part after the '@' needs a dot, as in example.com", code="email_domain_no_dot")
    for label in labels:
        if not label:
            raise ContactError("email", "the part after the '@' has an empty name between dots",
                               code="email_domain_empty_label")
        if label.startswith("-") or label.endswith("-"):
            raise ContactError("email", "a name after the '@' cannot start or end with '-'", code="email_domain_hyphen")
        if not all(char.isalnum() or char == "-" for char in label):
            raise ContactError("email", "only letters, digits, '-' and dots are allowed after the '@'",
                               code="email_domain_chars")
    top = labels[-1]
    if not (len(top) >= 2 and top.isalpha()) and not top.startswith("xn--"):
        raise ContactError("email", "the address must end in a domain such as .com or .cn", code="email_domain_top")
    try:
        domain.encode("idna")
    except UnicodeError:
        raise ContactError("email", "the part after the '@' is not a valid internet domain",
                           code="email_domain_idna") from None
    return ".".join(labels)


def check_region(region: str) -> str:
    """Configuration check: the default region must be one libphonenumber knows (CN, GB, HK, ...)."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default phone region {region!r} is not a region code libphonenumber knows")
    return region


def parse_phone(value: Any, region: str) -> str | None:
    """E.164 form (+8613800138000) of a number typed with or without its country code."""
    text = text_of("phone", value)
    if text is None:
        return None
    if len(text) > PHONE_INPUT_MAX:
        raise ContactError("phone", f"{len(text)} characters is too long for a phone number", code="phone_input_long",
                           length=len(text))
    for char in text:
        if unicodedata.decimal(char, None) is None and char not in _PHONE_SEPARATORS:
            if char.isalpha():
                raise ContactError("phone", "letters are not allowed in a phone number", code="phone_letters")
            raise ContactError("phone", "only digits, spaces, '+', '-' and brackets belong in a phone number",
                               code="phone_chars")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        code, reason = _PARSE_REASONS.get(exc.error_type, _NOT_A_NUMBER)
        raise ContactError("phone", reason, code=code) from None
    if not phonenumbers.is_valid_number(number):
        raise _why_invalid(number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _why_invalid(number: phonenumbers.PhoneNumber) -> ContactError:
    code = number.country_code
    where = phonenumbers.region_code_for_country_code(code)
    if where == phonenumbers.UNKNOWN_REGION:
        return ContactError("phone", f"+{code} is not a country calling code", code="phone_no_country",
                            country_code=code)
    non_geographic = where == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
    metadata = (phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code) if non_geographic
                else phonenumbers.PhoneMetadata.metadata_for_region(where))
    digits = phonenumbers.national_significant_number(number)
    kind, lengths = _intended_kind(digits, code, metadata)
    region = f"+{code}" if non_geographic else where
    label = f"{region} {kind} number".replace("  ", " ")
    count = len(digits)
    # What a screen needs to say it in other words: the region, what kind of number it looks like, the lengths.
    facts = {"count": count, "region": region, "kind": kind, "lengths": lengths}
    local_only = _lengths(metadata.fixed_line, local_only=True)
    if kind and count > max(lengths):
        return ContactError("phone", f"{count} digits is too long for a {label}{_describe(lengths)}",
                            code="phone_too_long", **facts)
    if kind and count < min(lengths) and not (kind == "landline" and count in local_only):
        return ContactError("phone", f"{count} digits is too short for a {label}{_describe(lengths)}",
                            code="phone_too_short", **facts)
    possible = phonenumbers.is_possible_number_with_reason(number)
    # Landline numbers are often given without their area code; libphonenumber only knows some of
    # those lengths as local-only, so a short unclassifiable number gets the same hint.
    if possible == ValidationResult.IS_POSSIBLE_LOCAL_ONLY or (
            kind != "mobile" and (count in local_only or (not kind and count <= LOCAL_NUMBER_MAX))):
        return ContactError("phone", f"{count} digits is only a local number; add the area code",
                            code="phone_local_only", **facts)
    if possible == ValidationResult.TOO_LONG:
        return ContactError("phone", f"{count} digits is too long for a {label}{_describe(lengths)}",
                            code="phone_too_long", **facts)
    if possible == ValidationResult.TOO_SHORT:
        return ContactError("phone", f"{count} digits is too short for a {label}{_describe(lengths)}",
                            code="phone_too_short", **facts)
    return ContactError("phone", f"not a valid {label}; check the digits", code="phone_invalid", **facts)


def _lengths(desc: Any, *, local_only: bool = False) -> tuple[int, ...]:
    if desc is None:
        return ()
    lengths = desc.possible_length_local_only if local_only else desc.possible_length
    return tuple(length for length in lengths if length > 0)


def _intended_kind(digits: str, country_code: int, metadata: Any) -> tuple[str, tuple[int, ...]]:
    """Guess whether a wrong number was meant as a mobile or a landline from the digits it starts with.

    The digits are cut (or padded) to each length the numbering plan allows and classified by
    libphonenumber, so "138001380001" is recognised as a mobile number with one digit too many.
    """
    general = _lengths(metadata.general_desc)
    for wanted, kind, desc in ((PhoneNumberType.MOBILE, "mobile", metadata.mobile),
                               (PhoneNumberType.FIXED_LINE, "landline", metadata.fixed_line)):
        lengths = _lengths(desc) or general
        for length in lengths:
            for filler in "0123456789":
                candidate = (digits + filler * length)[:length]
                zeros = len(candidate) - len(candidate.lstrip("0"))
                number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(candidate),
                                                  italian_leading_zero=zeros > 0 or None,
                                                  number_of_leading_zeros=zeros or None)
                if phonenumbers.number_type(number) == wanted:
                    return kind, lengths
    return "", general


def _describe(lengths: tuple[int, ...]) -> str:
    if not lengths:
        return ""
    if len(lengths) == 1:
        return f" (it has {lengths[0]} digits)"
    return f" (it has {min(lengths)} to {max(lengths)} digits)"
