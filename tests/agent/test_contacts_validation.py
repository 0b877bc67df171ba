import pytest

from agent.contacts import Channel, ContactError, ContactForm, ContactFormError


def field_error(region="CN", **fields) -> ContactError:
    """The single error a form with consent and these fields produces."""
    fields.setdefault("consent", True)
    with pytest.raises(ContactFormError) as caught:
        ContactForm(**fields).validate(region)
    assert len(caught.value.errors) == 1, caught.value.errors
    return caught.value.errors[0]


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("13800138000", "+8613800138000"),
        (" 138 0013 8000 ", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits from a Chinese IME
        ("010 6552 9988", "+861065529988"),  # Beijing landline with its area code
        ("(0755) 1234 5678", "+8675512345678"),  # Shenzhen landline
        ("+44 7911 123456", "+447911123456"),
        ("00 44 7911 123456", "+447911123456"),
        ("+1 650-253-0000", "+16502530000"),
    ],
)
def test_good_phones_are_normalised_to_e164(typed, e164):
    assert ContactForm(consent=True, phone=typed).validate().phone == e164


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("138001380001", "12 digits is too long for a CN mobile number (it has 11 digits)"),
        ("1380013800", "10 digits is too short for a CN mobile number (it has 11 digits)"),
        ("139", "3 digits is too short for a CN mobile number (it has 11 digits)"),
        ("65529988", "8 digits is only a local number; add the area code"),
        ("0755 1234567890", "13 digits is too long for a CN landline number (it has 7 to 11 digits)"),
        ("12800138000", "not a valid CN number; check the digits"),
        ("+44 7911 1234567", "11 digits is too long for a GB mobile number (it has 10 digits)"),
        ("+44 7911 12345", "9 digits is too short for a GB mobile number (it has 10 digits)"),
        ("+999 1234 5678", "the country code after '+' (or 00) is not one in use"),
        ("138abc00138", "letters are not allowed in a phone number"),
        ("13800138000 ext 5", "letters are not allowed in a phone number"),
        ("13800138000#", "only digits, spaces, '+', '-' and brackets belong in a phone number"),
        ("1", "not a phone number"),
        ("+", "not a phone number"),
        ("1" * 41, "41 characters is too long for a phone number"),
    ],
)
def test_bad_phones_say_what_is_wrong_without_repeating_the_number(typed, reason):
    error = field_error(phone=typed)
    assert (error.field, error.reason) == ("phone", reason)
    digits = "".join(c for c in typed if c.isdigit())
    assert len(digits) < 4 or digits not in str(error)


def test_default_region_is_configurable():
    assert ContactForm(consent=True, phone="07911 123456").validate("GB").phone == "+447911123456"
    assert field_error(phone="07911 123456").field == "phone"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("z@example.com", "z@example.com"),
        ("Zhang.San+tag@Example.COM", "Zhang.San+tag@example.com"),
        ("12345678@qq.com", "12345678@qq.com"),
        ("用户@例子.中国", "用户@例子.中国"),
        ("o'brien@mail.example.co.uk", "o'brien@mail.example.co.uk"),
    ],
)
def test_good_emails(typed, stored):
    assert ContactForm(consent=True, email=typed).validate().email == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("zexample.com", "missing '@'"),
        ("z@@example.com", "more than one '@'"),
        ("a b@example.com", "must not contain spaces"),
        ("@example.com", "nothing before the '@'"),
        ("z@", "nothing after the '@'"),
        ("z@localhost", "the part after the '@' needs a dot, as in example.com"),
        ("z..y@example.com", "the part before the '@' cannot start or end with a dot, or have two dots in a row"),
        (".z@example.com", "the part before the '@' cannot start or end with a dot, or have two dots in a row"),
        ("z@example..com", "the part after the '@' has an empty name between dots"),
        ("z@-example.com", "a name after the '@' cannot start or end with '-'"),
        ("z@exa_mple.com", "only letters, digits, '-' and dots are allowed after the '@'"),
        ("z@example.c", "the address must end in a domain such as .com or .cn"),
        ("z@example.123", "the address must end in a domain such as .com or .cn"),
        ("z(x)@example.com", "'(' is not allowed before the '@'"),
        ("z@example.com\x00", "contains invisible or control characters"),
        ("z" * 65 + "@example.com", "the part before the '@' is longer than 64 characters"),
        ("z@" + "a" * 250 + ".com", "256 characters is longer than the 254 allowed"),
    ],
)
def test_bad_emails(typed, reason):
    assert (field_error(email=typed).field, field_error(email=typed).reason) == ("email", reason)


def test_name_is_optional_and_tidied():
    assert ContactForm(consent=True, phone="13800138000").validate().name is None
    assert ContactForm(consent=True, phone="13800138000", name="  张\t三\u202e ").validate().name == "张 三"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("13800138000", "a name needs at least one letter"),
     ("张" * 81, "81 characters is longer than the 80 allowed"),
     ("Card 4111 1111 1111 1111", "looks like a card number; card numbers must never be written down here")],
)
def test_bad_names(name, reason):
    error = field_error(phone="13800138000", name=name)
    assert (error.field, error.reason) == ("name", reason)


def test_note_keeps_lines_but_loses_control_characters():
    note = "会回来\r\n\r\n\r\n\r\n明天\x00 下午\x1b[31m\u200b  三点"
    assert ContactForm(consent=True, phone="13800138000", note=note).validate().note == "会回来\n\n明天 下午[31m 三点"


def test_note_is_length_capped_and_refuses_card_numbers():
    error = field_error(phone="13800138000", note="x" * 501)
    assert (error.field, error.reason) == ("note", "501 characters is longer than the 500 allowed")
    error = field_error(phone="13800138000", note="paid with 4111-1111-1111-1111 yesterday")
    assert (error.field, error.reason) == ("note", "looks like a card number; card numbers must never be "
                                                   "written down here")


def test_consent_is_required_to_store_anything():
    error = field_error(consent=False, phone="13800138000")
    assert str(error) == "consent: the customer must agree before anything is stored"
    assert field_error(consent="yes", phone="13800138000").reason == "must be yes or no"


@pytest.mark.parametrize(
    ("fields", "channel"),
    [({"phone": "13800138000"}, Channel.PHONE), ({"email": "z@example.com"}, Channel.EMAIL),
     ({"wechat_id": "zhangsan_88", "email": "z@example.com"}, Channel.WECHAT),
     ({"phone": "13800138000", "channel": "SMS"}, Channel.SMS),
     ({"phone": "13800138000", "channel": Channel.WECHAT}, Channel.WECHAT),  # WeChat found by phone
     ({"email": "z@example.com", "channel": " email "}, Channel.EMAIL)],
)
def test_preferred_channel_is_chosen_or_inferred(fields, channel):
    assert ContactForm(consent=True, **fields).validate().channel is channel


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [({}, "phone", "give a phone number, an email address or a WeChat id so the customer can be reached"),
     ({"name": "张三"}, "phone", "give a phone number, an email address or a WeChat id so the customer can be "
                                "reached"),
     ({"email": "z@example.com", "channel": "sms"}, "phone", "needed for the preferred channel, sms"),
     ({"phone": "13800138000", "channel": "email"}, "email", "needed for the preferred channel, email"),
     ({"email": "z@example.com", "channel": "wechat"}, "wechat_id",
      "WeChat needs a WeChat id, or the phone number the customer's WeChat is registered with"),
     ({"phone": "13800138000", "channel": "fax"}, "channel", "must be one of phone, sms, email, wechat"),
     ({"wechat_id": "abc"}, "wechat_id", "a WeChat id is 6 to 20 letters, digits, '_' or '-', starting with a "
                                         "letter"),
     ({"wechat_id": "1abcdefg"}, "wechat_id", "a WeChat id is 6 to 20 letters, digits, '_' or '-', starting "
                                              "with a letter"),
     ({"phone": 13800138000}, "phone", "must be text, not int")],
)
def test_channel_needs_the_matching_detail(fields, field, reason):
    error = field_error(**fields)
    assert (error.field, error.reason) == (field, reason)


def test_every_field_error_is_reported_at_once_for_the_form():
    form = ContactForm(consent=False, phone="1380013800", email="z@", channel="sms", note="x" * 600)
    with pytest.raises(ContactFormError) as caught:
        form.validate()
    error = caught.value
    assert isinstance(error, ContactError) and isinstance(error, ValueError)
    assert [(e.field, e.reason) for e in error.errors] == [
        ("consent", "the customer must agree before anything is stored"),
        ("phone", "10 digits is too short for a CN mobile number (it has 11 digits)"),
        ("email", "nothing after the '@'"),
        ("note", "600 characters is longer than the 500 allowed"),
    ]
    assert (error.field, error.reason) == ("consent", "the customer must agree before anything is stored")
    assert str(error).startswith("consent: the customer must agree before anything is stored; phone: 10 digits")
    assert [str(e) for e in form.errors()] == [str(e) for e in error.errors]
    assert ContactForm(consent=True, phone="13800138000").errors() == []
