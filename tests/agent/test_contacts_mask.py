from datetime import UTC, datetime

import pytest

from agent.contacts import Channel, Contact, ContactForm
from agent.contacts.mask import mask_email, mask_name, mask_phone, mask_wechat_id


@pytest.mark.parametrize(
    ("e164", "masked"),
    [("+8613800138000", "138****8000"), ("+861065529988", "010****9988"), ("+8675512345678", "075****5678"),
     ("+447911123456", "+44 7*** ***456"), ("+16502530000", "+1 6**-***-*000")],
)
def test_phone_masks(e164, masked):
    assert mask_phone(e164) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("John Smith", "J*** S****"), ("Zoë", "Z**")],
)
def test_name_masks(name, masked):
    assert mask_name(name) == masked


def test_email_and_wechat_masks():
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_wechat_id("zhangsan_88") == "zh***88"


FORM = ContactForm(consent=True, name="张三丰", phone="13800138000", email="zhangsanfeng@example.com",
                   wechat_id="zsf_wudang", note="回头客，周五再来", channel="sms")
CLEAR = ("张三丰", "13800138000", "zhangsanfeng", "zsf_wudang", "回头客", "0013")


def test_printing_a_contact_never_shows_clear_personal_data():
    details = FORM.validate()
    at = datetime(2026, 1, 5, tzinfo=UTC)
    contact = Contact("ct-x", "case-1", details, consented_at=at, recorded_at=at, updated_at=at)
    for text in (repr(details), str(details), repr(contact), str(contact), f"{contact}", repr(FORM), str(FORM)):
        for clear in CLEAR:
            assert clear not in text, (clear, text)
    assert "138****8000" in repr(contact) and "z***@example.com" in repr(contact) and "张**" in repr(contact)
    assert "note=<8 characters>" in repr(details)
    assert details.channel is Channel.SMS
