"""What the customer receives, built from a draft's two texts, and how a contact is named in records.

Every message carries both languages, the customer's first, so a wrong guess of the language costs a
scroll, not the message. The language is guessed from the phone number (a Chinese-speaking region's
number reads Chinese first, any other country's English first); with no phone number it is Chinese, the
counter's default.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources

import phonenumbers

from agent.contacts import ContactDetails

ZH, EN = "zh-CN", "en"
DEFAULT_LANGUAGE = ZH
CHINESE_CALLING_CODES = frozenset({86, 852, 853, 886})
SEPARATOR = "\n\n——\n\n"


@functools.cache
def _subjects() -> dict[str, dict[str, str]]:
    return tomllib.loads(resources.files("agent.notify").joinpath("subjects.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Message:
    language: str
    subject: str  # email only; an SMS is the body alone
    body: str


def language_of(details: ContactDetails) -> str:
    if details.phone is None:
        return DEFAULT_LANGUAGE
    return ZH if phonenumbers.parse(details.phone).country_code in CHINESE_CALLING_CODES else EN


def _in_order(texts: dict[str, str], language: str) -> list[str]:
    first = [texts[language]] if language in texts else []
    return first + [text for lang, text in texts.items() if lang != language]


def compose(template: str, texts: dict[str, str], language: str) -> Message:
    subjects = _subjects()
    subject = subjects.get(template) or subjects.get(template.partition(".")[0]) or subjects["default"]
    return Message(language, " / ".join(_in_order(subject, language)), SEPARATOR.join(_in_order(texts, language)))


def masked_address(details: ContactDetails, channel: str) -> str | None:
    """The masked form of the address a channel reaches the customer at (None if they left none)."""
    if channel == "email":
        return details.masked_email
    if channel == "wechat":
        return details.masked_wechat_id or details.masked_phone
    return details.masked_phone


def scrub(text: str, details: ContactDetails) -> str:
    """Text from a relay or gateway with the addresses it was given masked: servers like to quote the
    address they refused, and that text goes into the journal. (Only the address ever leaves the shop.)"""
    shown = []
    if details.email:
        shown.append((details.email, details.masked_email))
    if details.phone:
        number = phonenumbers.parse(details.phone)
        masked = details.masked_phone
        shown += [(details.phone, masked), (details.phone[1:], masked),
                  (phonenumbers.national_significant_number(number), masked)]
    for clear, masked in shown:
        text = _replace_folded(text, clear, masked or "***")
    return text


def _replace_folded(text: str, clear: str, masked: str) -> str:
    """Case-insensitive, because mail servers change the case of the addresses they quote back."""
    return re.sub(re.escape(clear), lambda _: masked, text, flags=re.IGNORECASE)
