"""Whatever lands in the contact form — pasted garbage, lone surrogates, control characters, the wrong
type — ends as a valid contact or as a `ContactError` naming a field, never as another exception."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.contacts import Channel, ContactDetails, ContactError, ContactForm, ContactStore
from agent.journal import Journal
from domain.clock import VirtualClock

FIELDS = {"consent", "name", "phone", "email", "channel", "wechat_id", "note"}

anything = st.text(st.characters(exclude_categories=()))  # surrogates and control characters included
not_text = st.one_of(st.integers(), st.binary(max_size=8), st.floats(), st.lists(st.integers(), max_size=2))


def field(*plausible: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), anything, not_text, *plausible)


PLAUSIBLE = {
    "name": st.one_of(st.sampled_from(["张三", "John Smith", "  Zoë\u202e  "]),
                      st.text("张三 Jo\t\n\x00", max_size=90)),
    "phone": st.one_of(st.sampled_from(["13800138000", "+44 7911 123456", "010 6552 9988"]),
                       st.from_regex(r"(\+|00)?[0-9１３８ ()\-]{0,20}", fullmatch=True)),
    "email": st.one_of(st.emails(), st.from_regex(r"[a-z.\x00 ]{0,8}@?[a-z.\-_]{0,12}", fullmatch=True)),
    "channel": st.sampled_from([*Channel, "SMS", " wechat ", "fax"]),
    "wechat_id": st.from_regex(r"[A-Za-z0-9][-_A-Za-z0-9]{0,24}", fullmatch=True),
    "note": st.one_of(st.text(max_size=600), st.sampled_from(["card 4111 1111 1111 1111", "ok\r\nthanks"])),
}

# Anything at all in every field.
forms = st.builds(ContactForm, consent=st.one_of(st.booleans(), st.none(), anything, st.integers()),
                  **{name: field(strategy) for name, strategy in PLAUSIBLE.items()})
# Consent given and mostly plausible input, so that many examples get as far as the database.
mostly_plausible_forms = st.builds(
    ContactForm, consent=st.just(True),
    **{name: st.one_of(st.none(), strategy, strategy, anything) for name, strategy in PLAUSIBLE.items()})


def check_details(details: ContactDetails) -> None:
    """A valid contact can be encrypted (UTF-8 JSON), masked and printed."""
    json.dumps(details.to_json(), ensure_ascii=False).encode()
    assert details.phone or details.email or details.wechat_id
    for text in (details.masked_name, details.masked_phone, details.masked_email, details.masked_wechat_id,
                 repr(details)):
        assert text is None or isinstance(text, str)


@given(forms)
def test_any_form_validates_or_names_a_field(form):
    try:
        details = form.validate("CN")
    except ContactError as error:
        assert error.field in FIELDS and error.reason
        assert all(e.field in FIELDS and e.reason for e in getattr(error, "errors", [error]))
        assert form.consent is not True or error.field != "consent"
    else:
        assert form.consent is True
        check_details(details)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Journal.open(tmp_path_factory.mktemp("fuzz") / "journal.sqlite", clock=VirtualClock()) as journal:
        yield ContactStore(journal, bytes(32))


@given(mostly_plausible_forms)
def test_any_form_is_stored_and_read_back_exactly_or_refused(store, form):
    fields = {name: getattr(form, name) for name in FIELDS}
    try:
        contact_id = store.record(**fields)
    except ContactError as error:
        assert error.field in FIELDS
    else:
        assert store.get(contact_id).details == form.validate("CN")
