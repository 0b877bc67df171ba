"""The receipt document model, and the door from a flow's Print document into it.

A receipt is evidence the customer takes home, so the door is strict: a sale receipt exists only for an
approved sale (money rule 3), a document missing a fact or carrying a malformed one is refused with the
key named, and anything that looks like a full card number is refused outright (money rule 4) — a
printed PAN is card data at rest in the customer's pocket. The one exception is the store's own merchant
and terminal ids, exactly as configured: a 15-digit numeric merchant id passes Luhn one time in ten, and
it is the terminal naming itself, as the journal's guard also knows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from typing import Any

from domain.card import MaskedPan, card_numbers, mask_digit_runs
from domain.money import Money, MoneyError

KINDS = ("sale", "not_paid", "void", "contact")
# The facts each kind cannot be printed without; the rest may be absent or null.
REQUIRED: dict[str, tuple[str, ...]] = {
    "sale": ("sale_id", "amount", "masked", "stan", "time"),
    "not_paid": ("sale_id", "amount", "time", "receipt_id", "case_id"),
    "void": ("sale_id", "amount", "masked", "time", "case_id"),
    "contact": ("case_id", "time"),
}
_TEXT_KEYS = ("sale_id", "masked", "auth_code", "rrn", "stan", "reference", "receipt_id", "original_stan",
              "case_id", "note")
MAX_QR = 256  # characters: larger codes grow past the width of 58 mm paper at the module size we print


@dataclass(frozen=True)
class Store:
    """The shop's details, from config [store]."""

    name: str = "recoup"
    address: str = ""
    phone: str = ""
    terminal_id: str = ""
    merchant_id: str = ""
    footer: str = ""
    qr: str = ""  # a URL printed as a QR code at the foot of sale receipts

    @property
    def own_ids(self) -> frozenset[str]:
        """The identifiers the acquirer gave this terminal, which no door takes for a card number."""
        return frozenset(value for value in (self.terminal_id, self.merchant_id) if value)

    def __post_init__(self) -> None:
        for field in fields(self):
            if not isinstance(getattr(self, field.name), str):
                raise ValueError(f"store {field.name!r} must be text, got {getattr(self, field.name)!r}")
        if self.qr and not (self.qr.isascii() and self.qr.isprintable() and " " not in self.qr):
            raise ValueError(f"store 'qr' must be a URL in printable ASCII without spaces (percent-encode the "
                             f"rest), got {self.qr!r}")
        if len(self.qr) > MAX_QR:
            raise ValueError(f"store 'qr' is {len(self.qr)} characters; at most {MAX_QR} fit on the paper")


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    price: Money  # per unit

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"item name must be non-empty text, got {self.name!r}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity < 1:
            raise ValueError(f"item quantity must be a whole number of at least 1, got {self.quantity!r}")
        if not isinstance(self.price, Money):
            raise ValueError(f"item price must be Money, got {self.price!r}")

    @property
    def total(self) -> Money:
        return Money(self.price.minor * self.quantity, self.price.currency)


@dataclass(frozen=True)
class Receipt:
    kind: str
    store: Store
    sale_id: str | None = None
    amount: Money | None = None
    masked: str | None = None
    auth_code: str | None = None
    rrn: str | None = None
    stan: str | None = None
    time: datetime | None = None
    items: tuple[Item, ...] = ()
    reference: str | None = None  # the shop's order number
    original_receipt_id: str | None = None  # the receipt a not_paid or void slip cancels
    original_stan: str | None = None  # the sale a void reverses
    case_id: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"receipt kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.masked is not None:
            _check_masked(self.masked, "receipt 'masked'")
        if self.items and self.amount is not None:
            _check_items(self.items, self.amount)
        for name, value in _texts(self):
            refuse_card_numbers(value, name, self.store.own_ids)


def refuse_card_numbers(text: str, where: str, own_ids: frozenset[str]) -> None:
    """Refused by the rule the journal uses, so the two doors never disagree on what a card number is."""
    if found := card_numbers(text, own_ids):
        raise ValueError(f"{where}: looks like a full card number ({MaskedPan.of(found[0])}); "
                         "a receipt shows the masked card only")


def _check_masked(text: str, where: str) -> None:
    """The value is not echoed: what fails to parse as a masked card may be an unmasked one."""
    try:
        MaskedPan.parse(text)
    except ValueError:
        raise ValueError(f"{where}: not a masked card number (6 digits, stars, last 4 digits)") from None


def _texts(receipt: Receipt) -> Iterator[tuple[str, str]]:
    for field in fields(receipt):
        value = getattr(receipt, field.name)
        if isinstance(value, str):
            yield f"receipt {field.name!r}", value
    for index, item in enumerate(receipt.items):
        yield f"receipt 'items[{index}].name'", item.name


def _check_items(items: tuple[Item, ...], amount: Money) -> None:
    """Items that do not add up to the amount charged would make a false receipt."""
    if any(item.price.currency != amount.currency for item in items):
        raise ValueError(f"items are priced in another currency than the amount {amount}")
    total = sum(item.price.minor * item.quantity for item in items)
    if total != amount.minor:
        raise ValueError(f"items add up to {Money(total, amount.currency)} but the amount is {amount}")


def receipt_from_document(document: dict[str, Any], store: Store, *, tz: tzinfo | None = None) -> Receipt:
    """The receipt for a flow's Print document. `tz`, when given, is the zone the time is printed in
    (documents carry the journal's UTC); without it the time prints at the offset it carries."""
    if not isinstance(document, dict):
        raise ValueError(f"a print document is a dict, got {type(document).__name__}")
    _scan(document, "", store.own_ids)
    kind = document.get("type")
    if kind not in KINDS:
        raise ValueError(f"document key 'type': {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "sale" and document.get("status") != "approved":
        raise ValueError(f"document key 'status': a sale receipt is printed only for an approved sale, "
                         f"got {document.get('status')!r}")
    for key in REQUIRED[kind]:
        if document.get(key) is None:
            raise ValueError(f"document key {key!r}: missing; a {kind} receipt needs it")
    texts = {key: _text(document, key) for key in _TEXT_KEYS}
    if texts["masked"] is not None:
        _check_masked(texts["masked"], "document key 'masked'")
    amount = _money(document.get("amount"), "amount")
    items = _items(document.get("items"))
    if items and amount is not None:
        try:
            _check_items(items, amount)
        except ValueError as error:
            raise ValueError(f"document key 'items': {error}") from None
    return Receipt(
        kind=kind, store=store, sale_id=texts["sale_id"], amount=amount, masked=texts["masked"],
        auth_code=texts["auth_code"], rrn=texts["rrn"], stan=texts["stan"], time=_time(document, tz), items=items,
        reference=texts["reference"], original_receipt_id=texts["receipt_id"], original_stan=texts["original_stan"],
        case_id=texts["case_id"], note=texts["note"],
    )


def _scan(value: Any, path: str, own_ids: frozenset[str]) -> None:
    """Every key and scalar of the document, known keys or not: a PAN must not ride along unprinted
    either, since the document is kept with the receipt."""
    if isinstance(value, dict):
        for key, item in value.items():
            shown = mask_digit_runs(str(key))
            inner = f"{path}.{shown}" if path else shown
            refuse_card_numbers(str(key), f"document key {inner!r}", own_ids)
            _scan(item, inner, own_ids)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _scan(item, f"{path}[{index}]", own_ids)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        refuse_card_numbers(str(value), f"document key {path!r}", own_ids)


def _text(document: dict[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"document key {key!r}: expected text, got {type(value).__name__} {value!r}")
    return value


def _money(value: Any, key: str) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"minor", "currency"}:
        raise ValueError(f"document key {key!r}: expected {{'minor': int, 'currency': code}}, got {value!r}")
    try:
        return Money.from_json(value)
    except MoneyError as error:
        raise ValueError(f"document key {key!r}: {error}") from None


def _time(document: dict[str, Any], tz: tzinfo | None) -> datetime | None:
    value = document.get("time")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"document key 'time': expected ISO-8601 text, got {type(value).__name__} {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"document key 'time': {value!r} is not an ISO-8601 date and time") from None
    if moment.utcoffset() is None:
        raise ValueError(f"document key 'time': {value!r} has no UTC offset, so the printed time would be a guess")
    return moment if tz is None else moment.astimezone(tz)


def _items(value: Any) -> tuple[Item, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"document key 'items': expected a list, got {type(value).__name__}")
    items = []
    for index, entry in enumerate(value):
        key = f"items[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"name", "quantity", "price"}:
            raise ValueError(f"document key {key!r}: expected {{'name', 'quantity', 'price'}}, got {entry!r}")
        price = _money(entry["price"], f"{key}.price")
        try:
            items.append(Item(entry["name"], entry["quantity"], price))
        except ValueError as error:
            raise ValueError(f"document key {key!r}: {error}") from None
    return tuple(items)
