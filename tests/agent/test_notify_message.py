"""The message a customer receives, built from the templates, and the settings' defaults and checks."""

from __future__ import annotations

import string
import tomllib
from datetime import UTC, datetime
from importlib import resources

import pytest

from agent.contacts import ContactForm
from agent.notify import NotifySettings
from agent.notify.message import compose, language_of, scrub
from agent.outbox import render
from domain.card import MaskedPan
from domain.effects import SaleFacts
from domain.ids import Stan
from domain.money import Money

PLACEHOLDERS = {"time", "amount", "masked", "stan", "store"}
TEMPLATES = tomllib.loads(resources.files("agent").joinpath("templates.toml").read_text(encoding="utf-8"))
PAN = "6222021234567890128"


def details(**fields):
    return ContactForm(consent=True, **fields).validate()


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_states_the_facts_in_both_languages_with_a_masked_card_only(template):
    texts = TEMPLATES[template]
    assert set(texts) == {"zh-CN", "en"}
    for text in texts.values():
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert used <= PLACEHOLDERS, used - PLACEHOLDERS
    sale = SaleFacts("s", Money.parse("58.00"), MaskedPan.of(PAN), stan=Stan(42),
                     sent_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    message = compose(template, render(template, sale, "Store · 021-1"), "zh-CN")
    assert PAN not in message.body and "CNY 58.00" in message.body and "Store · 021-1" in message.body
    chinese, english = message.subject.split(" / ")
    assert chinese and english.isascii()


def test_subjects_by_template_then_case_type_then_default():
    texts = {"zh-CN": "中", "en": "E"}
    assert compose("e_receipt.not_paid", texts, "en").subject.startswith("Your card payment did not go through")
    assert compose("e_receipt.sale", texts, "en").subject == "Your e-receipt / 您的电子小票"
    assert compose("unheard_of.case", texts, "zh-CN").subject == "关于您在本店的刷卡交易 / About your card payment " \
                                                                 "at our store"


def test_the_customers_language_comes_first():
    texts = {"zh-CN": "中文", "en": "English"}
    assert compose("x", texts, "en").body == "English\n\n——\n\n中文"
    assert compose("x", texts, "zh-CN").body == "中文\n\n——\n\nEnglish"


@pytest.mark.parametrize(("fields", "language"), [
    ({"phone": "13800138000"}, "zh-CN"),
    ({"phone": "+852 5123 4567"}, "zh-CN"),
    ({"phone": "+44 7911 123456"}, "en"),
    ({"email": "a@example.com"}, "zh-CN"),
])
def test_the_language_is_guessed_from_the_phone_number(fields, language):
    assert language_of(details(**fields)) == language


def test_scrub_masks_the_addresses_however_a_server_quotes_them():
    customer = details(phone="13800138000", email="Zhang.San@example.com")
    text = "550 <ZHANG.SAN@EXAMPLE.COM> and +8613800138000, 8613800138000, 13800138000"
    assert scrub(text, customer) == "550 <Z***@example.com> and 138****8000, 138****8000, 138****8000"


def test_the_defaults_send_nothing():
    settings = NotifySettings()
    assert not settings.email_enabled and not settings.sms_enabled
    assert settings.retry_backoff == (60.0, 300.0, 1800.0)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"retry_backoff": ()}, "retry_backoff must list"),
    ({"retry_backoff": (60, 0)}, "retry_backoff must list"),
    ({"smtp_port": 0}, "smtp_port must be"),
    ({"sms_timeout": 0}, "sms_timeout must be"),
    ({"smtp_host": "mail.example.com"}, "both smtp_host and smtp_from"),
    ({"sms_url": "ftp://gateway"}, "http:// or https://"),
])
def test_settings_that_cannot_work_are_refused(fields, problem):
    with pytest.raises(ValueError, match=problem):
        NotifySettings(**fields)
