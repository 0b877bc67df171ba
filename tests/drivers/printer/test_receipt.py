"""The door from a flow's Print document to a receipt: strict, precise, and closed to card numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.money import Money
from drivers.printer.receipt import REQUIRED, Item, Receipt, Store, receipt_from_document
from tests.drivers.printer.samples import CONTACT, NOT_PAID, SALE, STORE, VOID

PAN = "4111111111111111"  # Luhn-valid test Visa
CST = timezone(timedelta(hours=8))


def refused(document: dict, match: str) -> str:
    with pytest.raises(ValueError, match=match) as error:
        receipt_from_document(document, STORE)
    return str(error.value)


def test_a_sale_document_from_the_sale_flow():
    receipt = receipt_from_document(SALE, STORE)
    assert receipt == Receipt(kind="sale", store=STORE, sale_id="S-0001", amount=Money(5800), masked="411111******1111",
                              auth_code="A12345", rrn="412206000042", stan="000042",
                              time=datetime(2024, 5, 1, 14, 3, 22, tzinfo=CST))


def test_auth_code_and_rrn_may_be_null_as_the_sale_flow_sends_them():
    receipt = receipt_from_document({**SALE, "auth_code": None, "rrn": None}, STORE)
    assert (receipt.auth_code, receipt.rrn) == (None, None)


def test_slips_carry_what_they_cancel_and_their_case():
    not_paid = receipt_from_document(NOT_PAID, STORE)
    assert (not_paid.kind, not_paid.original_receipt_id, not_paid.case_id) == ("not_paid", "S-0001-000042", "C-7")
    void = receipt_from_document(VOID, STORE)
    assert (void.kind, void.original_stan, void.stan, void.rrn) == ("void", "000042", "000043", "412206000042")
    contact = receipt_from_document(CONTACT, STORE)
    assert (contact.kind, contact.note, contact.masked) == ("contact", CONTACT["note"], None)


def test_items_and_reference():
    items = [{"name": "可乐 Cola", "quantity": 2, "price": {"minor": 350, "currency": "CNY"}},
             {"name": "Sandwich", "quantity": 1, "price": {"minor": 5100, "currency": "CNY"}}]
    receipt = receipt_from_document({**SALE, "items": items, "reference": "ORD-88"}, STORE)
    assert receipt.items == (Item("可乐 Cola", 2, Money(350)), Item("Sandwich", 1, Money(5100)))
    assert receipt.items[0].total == Money(700)
    assert receipt.reference == "ORD-88"


def test_the_time_can_be_printed_in_the_counters_zone():
    receipt = receipt_from_document({**SALE, "time": "2024-05-01T06:03:22+00:00"}, STORE, tz=CST)
    assert receipt.time.hour == 14
    assert receipt.time == datetime(2024, 5, 1, 6, 3, 22, tzinfo=UTC)


@pytest.mark.parametrize("status", ["declined", "unknown", None, "APPROVED"])
def test_a_sale_receipt_only_for_an_approved_sale(status):
    document = {**SALE, "status": status} if status else {k: v for k, v in SALE.items() if k != "status"}
    refused(document, "document key 'status': a sale receipt is printed only for an approved sale")


@pytest.mark.parametrize("kind", ["refund", "", None, "SALE"])
def test_an_unknown_type_is_named(kind):
    refused({**SALE, "type": kind}, "document key 'type': .* is not one of sale, not_paid, void, contact")


@pytest.mark.parametrize(("document", "key"), [
    (document, key) for document in (SALE, NOT_PAID, VOID, CONTACT) for key in REQUIRED[document["type"]]])
def test_each_missing_fact_is_named(document, key):
    refused({k: v for k, v in document.items() if k != key}, f"document key '{key}': missing; a {document['type']}")
    refused({**document, key: None}, f"document key '{key}': missing")


@pytest.mark.parametrize(("amount", "why"), [
    (5800, "expected"),
    ("58.00", "expected"),
    ({"minor": 5800}, "expected"),
    ({"minor": 5800, "currency": "CNY", "extra": 1}, "expected"),
    ({"minor": -1, "currency": "CNY"}, "negative"),
    ({"minor": 58.0, "currency": "CNY"}, "integer"),
    ({"minor": 5800, "currency": "XXX"}, "unknown currency"),
])
def test_a_bad_amount_is_named(amount, why):
    refused({**SALE, "amount": amount}, f"document key 'amount': .*{why}")


@pytest.mark.parametrize(("time", "why"), [
    ("yesterday", "not an ISO-8601"),
    ("2024-05-01T14:03:22", "no UTC offset"),
    (1714543402, "expected ISO-8601 text"),
])
def test_a_bad_time_is_named(time, why):
    refused({**SALE, "time": time}, f"document key 'time': .*{why}")


@pytest.mark.parametrize("key", ["sale_id", "stan", "rrn", "note", "reference", "case_id"])
def test_facts_are_text(key):
    refused({**CONTACT, key: 42}, f"document key '{key}': expected text, got int 42")


def test_a_masked_card_must_be_masked_and_a_bad_one_is_not_echoed():
    message = refused({**SALE, "masked": "4111111111111112"}, "document key 'masked': not a masked card")
    assert "4111111111111112" not in message


@pytest.mark.parametrize("document", [
    {**SALE, "masked": PAN},
    {**SALE, "reference": f"order {PAN}"},
    {**SALE, "reference": "4111 1111 1111 1111"},
    {**SALE, "reference": "4111-1111-1111-1111"},
    {**CONTACT, "note": f"card {PAN} exp 12/30"},
    {**SALE, "pan": PAN},
    {**SALE, "extra": {"deep": [PAN]}},
    {**SALE, "card": int(PAN)},
    {**SALE, PAN: "key"},
    {**SALE, "items": [{"name": f"gift {PAN}", "quantity": 1, "price": {"minor": 5800, "currency": "CNY"}}]},
])
def test_anything_that_looks_like_a_full_card_number_is_refused_and_masked_in_the_message(document):
    message = refused(document, "looks like a full card number")
    assert PAN not in message and "4111 1111" not in message and "4111-1111" not in message
    assert "411111******1111" in message


def test_zero_padded_and_non_luhn_digit_runs_are_not_card_numbers():
    receipt = receipt_from_document({**SALE, "reference": "0000000000005800", "note": "4111111111111112"}, STORE)
    assert receipt.reference == "0000000000005800"


def test_a_receipt_built_directly_is_checked_too():
    with pytest.raises(ValueError, match="receipt 'note': looks like a full card number"):
        Receipt(kind="contact", store=STORE, note=PAN)
    with pytest.raises(ValueError, match="receipt 'masked': not a masked card"):
        Receipt(kind="sale", store=STORE, masked=PAN)
    with pytest.raises(ValueError, match="receipt kind 'refund'"):
        Receipt(kind="refund", store=STORE)
    with pytest.raises(ValueError, match=r"items add up to CNY 1\.00 but the amount is CNY 58\.00"):
        Receipt(kind="sale", store=STORE, amount=Money(5800), items=(Item("x", 1, Money(100)),))


@pytest.mark.parametrize(("items", "match"), [
    ([{"name": "x", "quantity": 1, "price": {"minor": 100, "currency": "CNY"}}],
     "document key 'items': items add up to CNY 1.00 but the amount is CNY 58.00"),
    ([{"name": "x", "quantity": 1, "price": {"minor": 5800, "currency": "USD"}}],
     "document key 'items': items are priced in another currency"),
    ([{"name": "x", "quantity": 0, "price": {"minor": 5800, "currency": "CNY"}}],
     r"document key 'items\[0\]': item quantity must be a whole number of at least 1, got 0"),
    ([{"name": " ", "quantity": 1, "price": {"minor": 5800, "currency": "CNY"}}],
     r"document key 'items\[0\]': item name must be non-empty"),
    ([{"name": "x", "quantity": 1, "price": 58}], r"document key 'items\[0\].price': expected"),
    ([{"name": "x", "quantity": 1}], r"document key 'items\[0\]': expected \{'name', 'quantity', 'price'\}"),
    ({"name": "x"}, "document key 'items': expected a list"),
])
def test_bad_items_are_named(items, match):
    refused({**SALE, "items": items}, match)


def test_a_document_must_be_a_dict():
    with pytest.raises(ValueError, match="a print document is a dict"):
        receipt_from_document([SALE], STORE)


@pytest.mark.parametrize(("changes", "match"), [
    ({"qr": "https://例子.cn/r"}, "store 'qr' must be a URL in printable ASCII"),
    ({"qr": "https://x.cn/a b"}, "store 'qr' must be a URL in printable ASCII"),
    ({"qr": "https://x.cn/" + "a" * 300}, "store 'qr' is 313 characters; at most 256"),
    ({"phone": 75512345678}, "store 'phone' must be text"),
])
def test_store_settings_are_checked(changes, match):
    with pytest.raises(ValueError, match=match):
        Store(**changes)
