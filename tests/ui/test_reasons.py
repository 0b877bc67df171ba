"""Every reason the amount, the contact form, a late payment, the cashier's report or action at the counter, a
case's field, a case as it stands (not found, already closed) or a message to the customer (the notifier's
refusals, and why nobody may be told) can be refused for, every reason a case's contact cannot be shown, and
every cause of the bank link being down, is said in Chinese with none of the English showing, and in English:
each refusal raised here for real, one by one, the whole list (a code nobody raises here fails the test that
compares the lists)."""

import re
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest

from agent.cases import CaseAlreadyClosed, CaseError, CaseInputError, CaseNotFound, CaseSettings, CaseStore, checks
from agent.cases.errors import CASE_REFUSALS as CASE_STATE_REFUSALS
from agent.cases.errors import REFUSALS as CASE_REFUSALS
from agent.contacts import ContactError, ContactForm, ContactKeyError, ContactStore, ContactUnavailable, crypto
from agent.contacts.errors import KEY_PROBLEMS, UNAVAILABLE
from agent.contacts.errors import REFUSALS as CONTACT_REFUSALS
from agent.contacts.fields import _why_invalid
from agent.counter import REFUSALS as COUNTER_REFUSALS
from agent.counter import CounterRefused
from agent.host import DOWN_CAUSES
from agent.late_payment import REFUSALS as PAYMENT_REFUSALS
from agent.late_payment import NotOwed, method_noted
from agent.notify import SENDING, NotifyError
from agent.notify.errors import REFUSALS as NOTIFY_REFUSALS
from agent.notify.sender import UNREACHABLE
from agent.ui.labels import named
from agent.ui.reasons import (
    case_problem,
    case_refused,
    contact_problem,
    contact_unreadable,
    counter_problem,
    link_down,
    money_problem,
    notify_problem,
    payment_problem,
    unreachable,
)
from domain.card import MaskedPan
from domain.effects import OpenCase
from domain.events import record
from domain.money import REFUSALS as MONEY_REFUSALS
from domain.money import Money, MoneyError
from tests.agent import rig as counter_rig
from tests.agent.desk import Desk
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
OPENED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
NOW = OPENED + timedelta(hours=3)
# The check that earns each refusal of a case's field, as the case store calls it.
CASE = {
    "not_text": lambda: checks.text("who", 5, limit=checks.LABEL_MAX, required=True),
    "blank": lambda: checks.who("  "),
    "too_long": lambda: checks.free_text("note", "好" * (checks.NOTE_MAX + 1)),
    "card_number": lambda: checks.free_text("note", "卡 4111 1111 1111 1111"),
    "email": lambda: checks.free_text("note", "发到 wang@example.com"),
    "phone": lambda: checks.free_text("note", "打 13800138000"),
    "channel_unknown": lambda: checks.channel_and_outcome("fax", "sent"),
    "outcome_unknown": lambda: checks.channel_and_outcome("sms", "busy"),
    "resolution_unknown": lambda: checks.resolution("sorted"),
    "state_unknown": lambda: checks.state("pending"),
    "case_type_unknown": lambda: checks.case_type("lost", ("declined", "wrong_card")),
    "at_naive": lambda: checks.attempt_time(datetime(2026, 1, 5, 3, 0), OPENED, NOW),
    "at_future": lambda: checks.attempt_time(NOW + timedelta(minutes=1), OPENED, NOW),
    "at_before_opened": lambda: checks.attempt_time(OPENED - timedelta(minutes=1), OPENED, NOW),
    "setting": lambda: CaseSettings(quiet_start="21:00", quiet_end="21:00"),
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
    assert set(CASE) == set(CASE_REFUSALS)


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


@pytest.mark.parametrize("cause", [*DOWN_CAUSES, "back", None])
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
        assert cashier.banner() == "暂停刷卡：网络刚恢复，稳定后再恢复刷卡"  # up, not yet trusted
        await cashier.settle(lambda: rig.counter.screen.card_payments_paused is None, jump=True)
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


@pytest.mark.parametrize("code", CASE_REFUSALS)
def test_a_cases_field_refused_is_said_in_chinese_and_in_english(code):
    with pytest.raises(CaseInputError) as raised:
        CASE[code]()
    error = raised.value
    assert error.code == code
    chinese, english = case_problem(error, "zh-CN"), case_problem(error, "en")
    assert chinese and no_english(chinese, error.facts), chinese
    assert error.reason not in chinese
    assert english and not re.search("[\u4e00-\u9fff]", english)


def test_the_outcome_refused_names_the_channel_in_the_screens_words():
    with pytest.raises(CaseInputError) as raised:
        checks.channel_and_outcome("sms", "busy")
    assert case_problem(raised.value, "zh-CN") == "“busy”不是短信联系的结果，请从列表中选择"
    assert case_problem(raised.value, "en") == "'busy' is not an outcome of an attempt by SMS; choose one from the list"


def test_every_refusal_of_the_counter_is_raised_at_a_real_counter_and_said_in_both_languages(tmp_path):
    """Against the virtual acquirer: a declined sale, then an approved one charged to the wrong card and voided."""
    refused: dict[str, CounterRefused] = {}

    def refuse(report, *args, **kwargs) -> None:
        with pytest.raises(CounterRefused) as raised:
            report(*args, **kwargs)
        assert raised.value.code not in refused, raised.value.code
        refused[raised.value.code] = raised.value

    async def scenario(rig):
        counter = rig.counter
        refuse(counter.report_unpaid, "sale-999")
        refuse(counter.act, "sale-999", "cancel")
        declined = rig.sale("12.51", "mastercard")  # amounts ending 51: insufficient funds
        await rig.until(lambda: rig.flow(declined) is not None and rig.flow(declined).name == "declined", jump=True)
        refuse(counter.report_unpaid, declined)  # its recovery is still on screen
        refuse(counter.report_wrong_card, declined)
        counter.act(rig.flow(declined).flow_id, "cancel")
        refuse(counter.report_unpaid, declined)  # no receipt of ours: the till's number is needed
        refuse(counter.report_unpaid, declined, receipt_id="4111111111111111")
        flow_id = counter.report_unpaid(declined, receipt_id="till-9")
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unpaid", jump=True)
        counter.act(flow_id, "other_payment", method="cash")
        refuse(counter.report_unpaid, declined, receipt_id="till-9")

        sale = rig.sale("58.00", "visa")
        await rig.until(lambda: bool(rig.receipts(sale)), jump=True)
        flow_id = counter.report_wrong_card(sale)
        refuse(counter.report_wrong_card, sale)
        counter.act(flow_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(flow_id) == "wrong_card.cancelled_void", jump=True)
        counter.act(flow_id, "customer_leaves")
        counter.act(flow_id, "contact_declined")
        refuse(counter.report_wrong_card, sale)
        refuse(counter.report_unpaid, sale)

    counter_rig.run(tmp_path, scenario)
    assert set(refused) == set(COUNTER_REFUSALS)
    assert isinstance(refused["no_flow"], KeyError)  # still a lookup's miss for whoever catches that
    for code, error in refused.items():
        chinese, english = counter_problem(error, "zh-CN"), counter_problem(error, "en")
        assert chinese and no_english(chinese, error.facts), (code, chinese)
        assert str(error) not in chinese
        assert english and not re.search("[\u4e00-\u9fff]", english), (code, english)
    followed = refused["already_followed"]
    assert counter_problem(followed, "zh-CN").endswith("（以其他方式付款）处理")  # how it was resolved, in words
    assert counter_problem(refused["taken_back"], "zh-CN").endswith("银行已批准撤销")
    assert counter_problem(CounterRefused("already_followed", "", sale_id="sale-1", case_id="receipt_unpaid-2",
                                          state="open"), "zh-CN") == \
        "交易 sale-1 的小票已由跟进事项 receipt_unpaid-2（未结）处理"


def test_the_method_a_case_was_paid_later_by_is_read_from_its_note_and_said_in_either_language():
    assert [named("payment", method_noted("paid later: qr"), language) for language in ("zh-CN", "en")] == \
        ["扫码", "QR code"]
    assert method_noted("paid at the desk: qr") is None and method_noted(None) is None


def said_both_ways(chinese: str, english: str, facts: dict) -> None:
    """No Latin left in the Chinese once the facts and the keys (F9) are taken out; no Chinese in the English."""
    shown = {name: value for name, value in facts.items() if not isinstance(value, datetime)}
    assert chinese and no_english(re.sub(r"F\d+", "", chinese), shown), chinese
    assert english and not re.search("[\u4e00-\u9fff]", english), english


def refused(call, kind=NotifyError):
    with pytest.raises(kind) as raised:
        call()
    return raised.value


def test_every_refusal_of_the_notifier_and_every_reason_nobody_may_be_told_in_both_languages(tmp_path):
    desk = Desk(tmp_path / "journal.sqlite")
    notifier = desk.notifier()
    by_phone = desk.draft(desk.customer(phone="13800138000"))
    cut_off = desk.draft(desk.customer(email="zhang.san@example.com", channel="email"))
    desk.journal.append(SENDING, {"draft": cut_off, "case_id": "case-1", "template": "network_drop.hold_released",
                                  "contact_id": None, "channel": "email", "to": "z***@example.com", "attempt": 1,
                                  "who": "agent"}, stream="case-1")
    errors = {
        "no_draft": lambda: notifier.send(99),
        "channel_unknown": lambda: notifier.send(by_phone, "fax"),
        "outcome_unknown": lambda: notifier.record(by_phone, "maybe", who="li"),
        "unknown": lambda: notifier.send(cut_off),
        "not_unknown": lambda: notifier.record(by_phone, "received", who="li"),
        "other_channel": lambda: notifier.record(cut_off, "received", who="li", channel="sms"),
        "no_address": lambda: notifier.record(by_phone, "sent_by_hand", who="li", channel="email"),
        "not_configured": lambda: notifier.send(by_phone, "email"),
    }
    found = {code: refused(make) for code, make in errors.items()}
    notifier.record(by_phone, "reached", who="li")
    found["already_sent"] = refused(lambda: notifier.send(by_phone))
    assert set(found) == set(NOTIFY_REFUSALS)
    for code, error in found.items():
        assert error.code == code
        said_both_ways(notify_problem(error, "zh-CN", UTC), notify_problem(error, "en", UTC), error.facts)
    assert notify_problem(found["unknown"], "zh-CN", UTC).startswith(
        f"消息 {cut_off} 可能已送达顾客：第 1 次通过邮件发往 z***@example.com（自动发送，")
    assert str(found["unknown"]).startswith(f"draft {cut_off} may have reached the customer")  # the CLI's words

    reasons = {
        "no_contact": desk.draft(None),
        "unknown_contact": desk.draft("c-nobody"),
        "declined": desk.draft(desk.contacts.record_declined(case_id="case-1")),
    }
    purged = desk.draft(desk.customer(phone="13900139000"))
    desk.contacts.purge(timedelta(0), desk.clock.now() + timedelta(days=1))
    reasons["purged"] = purged
    for reason, draft in reasons.items():
        result = notifier.send(draft)
        assert (result.state, result.reason) == ("refused", reason)
    assert set(reasons) == set(UNREACHABLE)
    for reason in UNREACHABLE:
        said_both_ways(unreachable(reason, "zh-CN"), unreachable(reason, "en"), {})
    desk.journal.close()


def test_a_case_not_found_or_already_closed_is_said_in_both_languages(tmp_path):
    desk = Desk(tmp_path / "journal.sqlite")
    cases = CaseStore(desk.journal, desk.clock)
    found: dict[str, CaseError] = {"not_found_none_open": refused(lambda: cases.get("declined-9"), CaseNotFound)}
    for case_id in ("declined-1", "network_drop-2"):
        opened = OpenCase(case_id, case_id.rpartition("-")[0], ("sale-1",), Money.parse("5.00"),
                          MaskedPan.parse("411111******1111"))
        desk.journal.append("case_opened", record(opened)[1], stream="sale-1")
    found["not_found_near"] = refused(lambda: cases.get("declined-9"), CaseNotFound)
    found["not_found"] = refused(lambda: cases.get("zzz"), CaseNotFound)
    cases.close("declined-1", resolution="paid", who="li")
    found["already_closed"] = refused(lambda: cases.close("declined-1", resolution="paid", who="li"),
                                      CaseAlreadyClosed)
    found["closed_no_escalation"] = refused(lambda: cases.escalate("declined-1", reason="late", who="li"),
                                            CaseAlreadyClosed)
    assert set(found) == set(CASE_STATE_REFUSALS)
    for code, error in found.items():
        assert error.code == code
        said_both_ways(case_refused(error, "zh-CN", UTC), case_refused(error, "en", UTC), error.facts)
    assert case_refused(found["not_found_near"], "zh-CN", UTC) == "没有跟进事项 declined-9；是不是 declined-1？"
    assert case_refused(found["already_closed"], "zh-CN", UTC).endswith("结案（已付款，经办 li）")
    desk.journal.close()


def test_every_reason_a_cases_contact_cannot_be_shown_is_said_in_both_languages(tmp_path):
    desk = Desk(tmp_path / "journal.sqlite")
    contacts = desk.contacts
    found: dict[str, Exception] = {"unknown_id": refused(lambda: contacts.get("c-nobody"), ContactUnavailable)}
    declined = contacts.record_declined(case_id="case-1")
    found["declined"] = refused(lambda: contacts.update(declined, consent=True, phone="13800138000"),
                                ContactUnavailable)
    held = desk.customer(phone="13800138000")
    found["wrong_key"] = refused(lambda: ContactStore(desk.journal, b"x" * 32).get(held), ContactKeyError)
    data_key = crypto.new_data_key()  # details sealed for one contact, found under another's id
    nonce, sealed = crypto.seal(data_key, held, b"{}")
    found["altered"] = refused(lambda: crypto.open_sealed(data_key, "c-other", nonce, sealed), ContactKeyError)
    with desk.journal.transaction():
        desk.journal.execute("DELETE FROM data_keys")
    found["key_missing"] = refused(lambda: contacts.get(held), ContactKeyError)
    contacts.purge(timedelta(0), desk.clock.now() + timedelta(days=1))
    found["purged"] = refused(lambda: contacts.update(held, consent=True, phone="13800138000"), ContactUnavailable)
    assert set(found) == set(UNAVAILABLE) | set(KEY_PROBLEMS)
    for code, error in found.items():
        assert error.code == code  # type: ignore[attr-defined]
        said_both_ways(contact_unreadable(error, "zh-CN"), contact_unreadable(error, "en"), {})  # type: ignore[arg-type]
    desk.journal.close()
