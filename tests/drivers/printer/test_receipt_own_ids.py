"""The receipt door knows the store's own merchant and terminal ids, as the journal's guard does: a
numeric merchant id that passes Luhn is the terminal naming itself, not a card; anything else that looks
like a card number is still refused."""

from __future__ import annotations

import dataclasses

import pytest

from domain.card import luhn_valid
from drivers.printer.layout import receipt_text
from drivers.printer.receipt import receipt_from_document
from tests.drivers.printer.samples import SALE, STORE

MERCHANT = "898310048990004"  # 15 digits, Luhn-valid, as China's acquirers issue them
assert luhn_valid(MERCHANT)
OURS = dataclasses.replace(STORE, merchant_id=MERCHANT, terminal_id="12345674")


def test_a_sale_receipt_prints_a_merchant_id_that_passes_luhn():
    receipt = receipt_from_document(SALE, OURS)
    text = receipt_text(receipt)
    assert MERCHANT in text and "12345674" in text


def test_a_document_naming_the_stores_own_merchant_id_is_not_refused():
    receipt = receipt_from_document({**SALE, "reference": MERCHANT, "merchant_id": MERCHANT}, OURS)
    assert receipt.reference == MERCHANT


def test_another_stores_merchant_id_is_refused_as_any_luhn_valid_run_is():
    with pytest.raises(ValueError, match=r"document key 'reference': looks like a full card number"):
        receipt_from_document({**SALE, "reference": MERCHANT}, STORE)


@pytest.mark.parametrize("value", ["4111111111111111", "4" + MERCHANT + "02"])
def test_a_card_number_is_refused_even_where_the_merchant_id_is_known(value):
    assert luhn_valid(value)
    with pytest.raises(ValueError, match="looks like a full card number"):
        receipt_from_document({**SALE, "note": value}, OURS)
