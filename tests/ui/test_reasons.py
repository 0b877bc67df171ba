"""Every reason the amount or the contact form can be refused for, and every cause of the bank link being
down, is said in Chinese with none of the English showing, and in English: each refusal raised here for
real, one by one, the whole list (a code nobody raises here fails the test that compares the lists)."""

import re

import phonenumbers
import pytest

from agent.contacts import ContactError, ContactForm
from agent.contacts.errors import REFUSALS as CONTACT_REFUSALS
from agent.contacts.fields import _why_invalid
from agent.host import DOWN_CAUSES
from agent.late_payment import REFUSALS as PAYMENT_REFUSALS
from agent.late_payment import NotOwed
from agent.ui.reasons import contact_problem, link_down, money_problem, payment_problem
from domain.money import REFUSALS as MONEY_REFUSALS
from domain.money import Money, MoneyError
from tests.ui.cashier import run

LATIN = re.compile(r"[A-Za-z]")
MONEY = {
    "not_minor_units": lambda: Money(1.5),  # type: ignore[arg-type]
    "negative_minor_units": lambda: Money(-1),
    "unknown_currency": lambda: Money.parse("1", "XYZ"),
    "not_text": lambda: Money.parse(58.0),  # type: ignore[arg-type]
    "negative": lambda: Money.parse("-5"),
    "not_a_number": lambda: Money.parse("5..8"),
    "too_many_decimals": lambda: Money.parse("1.234"),
    "too_large": lambda: Money.parse("12345678901"),
    "mixed_currencies": lambda: Money(1) + Money(1, "USD"),
}
PHONE = {"consent": True}
# The form (or the check) that earns each refusal; consent is given unless the refusal is about it.
CONTACT = {
    "not_text": {**PHONE, "name": 5},
    "card_number": {**PHONE, "phone": "13800138000", "note": "4111 1111 1111 1111"},
    "too_long": {**PHONE, "phone": "13800138000", "name": "王" * 81},
    "name_no_letter": {**PHONE, "phone": "13800138000", "name": "123"},
    "wechat_id_form": {**PHONE, "wechat_id": "1abcdef"},
    "email_spaces": {**PHONE, "email": "a b@example.com"},
    "email_invisible": {**PHONE, "email": "a\u200b@example.com"},
    "email_no_at": {**PHONE, "email": "example.com"},
    "email_two_at": {**PHONE, "email": "a@b@example.com"},
    "email_local_empty": {**PHONE, "email": "@example.com"},
    "email_local_long": {**PHONE, "email": "a" * 65 + "@example.com"},
    "email_local_dots": {**PHONE, "email": ".a@example.com"},
    "email_local_char": {**PHONE, "email": "a,b@example.com"},
    "email_domain_empty": {**PHONE, "email": "a@"},
    "email_domain_no_dot": {**PHONE, "email": "a@localhost"},
    "email_domain_empty_label": {**PHONE, "email": "a@example..com"},
    "email_domain_hyphen": {**PHONE, "email": "a@-example.com"},
    "email_domain_chars": {**PHONE, "email": "a@exa_mple.com"},
    "email_domain_top": {**PHONE, "email": "a@example.c0m"},
    "email_domain_idna": {**PHONE, "email": "a@" + "x" * 64 + ".com"},
    "phone_input_long": {**PHONE, "phone": "1" * 41},
    "phone_letters": {**PHONE, "phone": "138 abc 8000"},
    "phone_chars": {**PHONE, "phone": "138#0013#8000"},
    "phone_country_code": {**PHONE, "phone": "+999 123456"},
    "phone_not_a_number": {**PHONE, "phone": "0"},
    "phone_short_after_idd": {**PHONE, "phone": "0086"},
    "phone_nsn_short": {**PHONE, "phone": "+86 1"},
    "phone_nsn_long": {**PHONE, "phone": "1" * 25},
    "phone_no_country": lambda: _why_invalid(phonenumbers.PhoneNumber(country_code=999, national_number=1234567)),
    "phone_too_long": {**PHONE, "phone": "138001380001"},
    "phone_too_short": {**PHONE, "phone": "1380013800"},
    "phone_local_only": {**PHONE, "phone": "12345"},
    "phone_invalid": {**PHONE, "phone": "+86 999 1234 5678"},
    "channel_unknown": {**PHONE, "phone": "13800138000", "channel": "fax"},
    "consent_not_bool": {"consent": "yes", "phone": "13800138000"},
    "consent_required": {"consent": False, "phone": "13800138000"},
    "unreachable": {**PHONE, "name": "王芳"},
    "channel_needs_phone": {**PHONE, "email": "a@example.com", "channel": "sms"},
    "channel_needs_email": {**PHONE, "phone": "13800138000", "channel": "email"},
    "wechat_needs_id": {**PHONE, "email": "a@example.com", "channel": "wechat"},
}
# More of the phone refusals that name the kind of number and its lengths: each wording of them.
PHONES = ["+881 1234567890123", "+86 22222222222222222", "+86 111111111111111111", "+44 7911 1234567",
          "++86 138", "+86 400 123 456"]


def no_english(shown: str, facts: dict) -> bool:
    """Nothing Latin left once the facts (what was typed, a currency code, a region) are taken out."""
    for value in facts.values():
        for part in value if isinstance(value, tuple) else (value,):
            shown = shown.replace(str(part), "")
    return not LATIN.search(shown)


def test_every_refusal_is_raised_here():
    assert set(MONEY) == set(MONEY_REFUSALS)
    assert set(CONTACT) == set(CONTACT_REFUSALS)


@pytest.mark.parametrize("code", MONEY_REFUSALS)
def test_an_amount_refused_is_said_in_chinese_and_in_english(code):
    with pytest.raises(MoneyError) as raised:
        MONEY[code]()
    error = raised.value
    assert error.code == code
    chinese, english = money_problem(error, "zh-CN"), money_problem(error, "en")
    assert chinese and no_english(chinese, error.facts), chinese
    assert english and not re.search("[\u4e00-\u9fff]", english)


def contact_error(code: str) -> ContactError:
    made = CONTACT[code]
    if callable(made):
        return made()
    errors = ContactForm(**made).errors()
    assert errors, f"{code}: {made} was taken"
    found = [error for error in errors if error.code == code]
    assert found, f"{code}: {made} was refused for {[error.code for error in errors]}"
    return found[0]


def check_contact(error: ContactError) -> None:
    chinese, english = contact_problem(error, "zh-CN"), contact_problem(error, "en")
    assert chinese and no_english(chinese, error.facts), chinese
    assert error.reason not in chinese
    assert english and not re.search("[\u4e00-\u9fff]", english)


@pytest.mark.parametrize("code", CONTACT_REFUSALS)
def test_a_contact_detail_refused_is_said_in_chinese_and_in_english(code):
    check_contact(contact_error(code))


@pytest.mark.parametrize("phone", PHONES)
def test_a_phone_number_of_the_wrong_length_names_its_kind_and_lengths_in_chinese(phone):
    (error,) = ContactForm(consent=True, phone=phone).errors()
    check_contact(error)


def test_the_english_says_what_the_check_says():
    error = contact_error("phone_too_long")
    assert contact_problem(error, "en") == error.reason == (
        "12 digits is too long for a CN mobile number (it has 11 digits)")
    assert contact_problem(error, "zh-CN") == "12 位，对 CN 手机号码来说太长（应为 11 位）"
    error = contact_error("channel_needs_phone")
    assert (contact_problem(error, "zh-CN"), contact_problem(error, "en")) == (
        "首选联系方式是短信，需要手机号", "needed for the preferred channel, SMS")


@pytest.mark.parametrize("code", PAYMENT_REFUSALS)
def test_a_late_payment_refused_is_said_in_chinese_and_in_english(code):
    error = NotOwed(code, "refused", case_id="receipt_unpaid-3", case_type="declined", sale_id="sale-7")
    chinese, english = payment_problem(error, "zh-CN"), payment_problem(error, "en")
    assert chinese and no_english(chinese, error.facts), chinese
    assert english and not re.search("[\u4e00-\u9fff]", english)


@pytest.mark.parametrize("cause", [*DOWN_CAUSES, None])
def test_every_cause_of_a_link_down_is_said_in_both_languages(cause):
    assert not LATIN.search(link_down(cause, "zh-CN"))
    assert not re.search("[\u4e00-\u9fff]", link_down(cause, "en"))


def test_the_banner_names_the_cause_the_link_went_down_for(tmp_path):
    """At start no connection can be made; later the acquirer closes it; later still it stops answering."""
    async def scenario(cashier):
        rig = cashier.rig
        await cashier.settle(lambda: rig.counter.screen.card_payments_paused is not None)
        assert cashier.banner() == "暂停刷卡：连不上银行"
        await rig.acquirer.allow_connections()
        await cashier.settle(lambda: rig.host.up, jump=True)
        assert cashier.banner() == ""

        await rig.acquirer.refuse_connections()
        await cashier.settle(lambda: not rig.host.up)
        assert cashier.banner() == "暂停刷卡：与银行的连接中断"
        await cashier.pilot.press("f12")
        await cashier.settle()
        assert cashier.banner() == "Card payments paused: the connection to the bank was lost"

        await rig.acquirer.allow_connections()
        await cashier.settle(lambda: rig.host.up, jump=True)
        rig.acquirer.black_hole(times=None)
        await cashier.settle(lambda: not rig.host.up, jump=True)
        assert cashier.banner() == "Card payments paused: the bank stopped answering properly"

    run(tmp_path, scenario, unreachable=True)
