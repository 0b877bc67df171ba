"""The acquirer's side of the conversation, without sockets: a decoded request in, a response out,
and the ledger changed on the way. The TCP server and its faults wrap this; tests of rules and
ledger semantics can drive it directly.

An inquiry (0600) only reads the ledger, and a contradiction (`take_back`, the `contradict` fault) is
the one change the switch makes to a sale after answering it; both live here so that what they mean
for the money can be tested without a socket.

Responses are built from the request's own fields (the host echoes what identifies the exchange:
MTI class, STAN, terminal) so that any ISO 8583 tool can talk to it. Card data (fields 2, 14, 35) is
never echoed back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from domain.card import mask_pan
from domain.clock import Clock
from domain.money import NUMERIC, Money
from drivers.host.codec import Fields
from simulator.host import rules
from simulator.host.ledger import APPROVED, CardKey, Entry, Kind, Ledger, Reversal

PROCESSING = {"000000": Kind.SALE, "020000": Kind.VOID, "200000": Kind.REFUND}
INQUIRY = "330000"  # this project's processing code for a transaction status inquiry (0600)
CURRENCIES = {numeric: alpha for alpha, numeric in NUMERIC.items()}
# How a reversal is answered, by what it found; anything else is acknowledged (00): released, a repeat of an
# acknowledged reversal, or a declined original that held nothing. A settled original is refused with 12
# (invalid transaction), as acquirers answer a reversal that comes after the charge was settled: it stands.
REVERSAL_ANSWERS = {Reversal.UNKNOWN: rules.NO_SUCH_RECORD, Reversal.SETTLED: rules.INVALID_TRANSACTION}
# The request fields a response repeats. A whitelist, so card data and PIN blocks can never be echoed.
ECHOED = ("3", "4", "7", "11", "12", "13", "22", "25", "37", "41", "42", "49", "70", "74", "76", "86", "88", "90")
ECHO_TEST = "301"


@dataclass(frozen=True)
class Handled:
    """What the host answers (None: nothing can be answered) and, for the log, what it did."""

    response: Fields | None
    note: str


class _Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def is_request(mti: str) -> bool:
    """A request or an advice (function digit 0 or 2): something a host answers."""
    return len(mti) == 4 and _digits(mti) and mti[2] in "02"


def response_mti(mti: str) -> str:
    """0200 → 0210, 0401 → 0410, 0220 → 0230."""
    return f"{mti[:2]}{int(mti[2]) + 1}0"


class AcquirerCore:
    def __init__(self, clock: Clock, *, seed: int = 0, allowed_terminals: frozenset[str] | None = None,
                 allowed_merchants: frozenset[str] | None = None) -> None:
        self.clock = clock
        self.ledger = Ledger()
        self.rules = rules.Rules()
        self.ids = rules.Ids(seed)
        self.allowed_terminals = allowed_terminals
        self.allowed_merchants = allowed_merchants
        # Per terminal: where in the ledger its last balanced settlement ended, and the totals it said.
        self._settled_upto: dict[str, int] = {}
        self._last_balanced: dict[str, tuple[int, ...]] = {}
        self._handlers: dict[str, Callable[[Fields], Handled]] = {
            "0200": self._financial, "0400": self._reversal, "0401": self._reversal,
            "0500": self._settlement, "0600": self._inquiry, "0800": self._network,
        }

    def handle(self, request: Fields) -> Handled:
        mti = request.get("t", "")
        handler = self._handlers.get(mti)
        if handler is None:
            if not is_request(mti):
                return Handled(None, f"MTI {mti} is not a request: not answered")
            return Handled(_reply(request, rules.FORMAT_ERROR), f"MTI {mti} is not supported: format error")
        try:
            _require(request, "11", "41")
            self._admit(request)
            return handler(request)
        except _Reject as reject:
            return Handled(_reply(request, reject.code), reject.reason)

    def malformed(self, data: bytes, error: str) -> Handled:
        """A message that would not decode. If its first bytes still name a request MTI, answer 30 with
        that MTI's response, so the terminal at least learns its message was refused."""
        mti = data[:4].decode("ascii", "replace")
        if not is_request(mti):
            return Handled(None, f"malformed message of {len(data)} bytes ({error}): not answered")
        return Handled({"t": response_mti(mti), "39": rules.FORMAT_ERROR},
                       f"malformed {mti} of {len(data)} bytes ({error}): format error")

    # -- per message type ---------------------------------------------------------------------

    def _admit(self, request: Fields) -> None:
        if self.allowed_terminals is not None and request["41"] not in self.allowed_terminals:
            raise _Reject(rules.NOT_PERMITTED, f"terminal {request['41']!r} is not allowed: not permitted")
        merchant = request.get("42")
        if self.allowed_merchants is not None and merchant is not None and merchant not in self.allowed_merchants:
            raise _Reject(rules.INVALID_MERCHANT, f"merchant {merchant!r} is not allowed: invalid merchant")

    def _financial(self, request: Fields) -> Handled:
        kind = PROCESSING.get(request.get("3", ""))
        if kind is None:
            raise _Reject(rules.FORMAT_ERROR, f"processing code {request.get('3')!r} is not one of "
                                              f"{', '.join(PROCESSING)}: format error")
        _require(request, "4", "42", "49", *(("37",) if kind is Kind.VOID else ()))
        stan, amount = _stan(request["11"]), _money(request["4"], request["49"])
        terminal = request["41"]
        if self.ledger.open_entry(terminal, stan) is not None:
            raise _Reject(rules.DUPLICATE, f"STAN {stan:06d} of terminal {terminal} is already in the open "
                                           f"batch: duplicate, not charged again")
        now = self.clock.now()
        presented = _card(request)
        if presented is None and (kind is Kind.SALE or (kind is Kind.REFUND and "37" not in request)):
            raise _Reject(rules.FORMAT_ERROR, f"{kind.value} without a card (field 2 or 35): format error")
        sale = self.ledger.by_rrn(request["37"]) if kind is not Kind.SALE and "37" in request else None
        card = CardKey.of(presented[0]) if presented else (sale.card if sale else None)
        code = self.rules.take_next() or self._card_code(card, presented, now)
        if code is None:
            if kind is Kind.SALE:
                code = rules.amount_code(amount)
            elif kind is Kind.VOID:
                code = self._void_code(request, sale, card, amount)
            else:
                code = self._refund_code(request, sale, card, amount)
        entry = Entry(kind, terminal, request["42"], stan, card, amount, code, self.ids.rrn(now), now,
                      self.ids.auth_code() if code == APPROVED else "",
                      original_rrn="" if kind is Kind.SALE else request.get("37", ""))
        self.ledger.record(entry)
        response = _reply(request, code, {"37": entry.rrn} | ({"38": entry.auth_code} if entry.auth_code else {}))
        return Handled(response, entry.describe())

    def _card_code(self, card: CardKey | None, presented: tuple[str, str] | None, now: datetime) -> str | None:
        """Card rules judge a presented card; a void or refund without one is judged by its sale's card."""
        if presented is not None:
            return self.rules.card_code(*presented, now)
        return self.rules.cards.get(card) if card is not None else None

    def _void_code(self, request: Fields, sale: Entry | None, card: CardKey | None, amount: Money) -> str:
        """A void names a sale; only an untouched sale of this terminal's open batch can be voided."""
        if sale is None:
            return rules.NO_SUCH_RECORD
        if (sale.kind is not Kind.SALE or sale.terminal_id != request["41"] or sale.card != card
                or not sale.approved or sale.reversed or sale.voided or sale.batch is not None
                or self._refunded(sale)):
            return rules.INVALID_TRANSACTION
        return APPROVED if sale.amount == amount else rules.INVALID_AMOUNT

    def _refund_code(self, request: Fields, sale: Entry | None, card: CardKey | None, amount: Money) -> str:
        """A refund naming its sale (field 37) goes back to that sale's card, and may not give back more
        than the sale still holds. A refund naming no sale is the merchant's call."""
        if "37" not in request:
            return APPROVED
        if sale is None or sale.kind is not Kind.SALE or not sale.approved or sale.reversed:
            return rules.NO_SUCH_RECORD
        if sale.voided or sale.card != card:
            return rules.INVALID_TRANSACTION  # the void already gave it all back / not the card charged
        within = (sale.amount.currency == amount.currency
                  and self._refunded(sale) + amount.minor <= sale.amount.minor)
        return APPROVED if within else rules.INVALID_AMOUNT

    def _refunded(self, sale: Entry) -> int:
        return sum(-entry.charge for entry in self.ledger.entries
                   if entry.kind is Kind.REFUND and entry.original_rrn == sale.rrn)

    def _reversal(self, request: Fields) -> Handled:
        _require(request, "90")
        original = f"{_original_stan(request['90']):06d}"
        repeat = " (repeat)" if request["t"] == "0401" else ""
        code = self.rules.take_next()
        if code is not None and code != APPROVED:
            return Handled(_reply(request, code),
                           f"reversal{repeat} of STAN {original} refused {code} by override: not applied")
        found, outcome = self.ledger.reverse(request["41"], int(original), self.clock.now())
        code = REVERSAL_ANSWERS.get(found, APPROVED)
        return Handled(_reply(request, code), f"reversal{repeat} of STAN {original}: {outcome} ({code})")

    def _inquiry(self, request: Fields) -> Handled:
        """Does the sale named by field 90 still take money from the card? Read-only, and no override
        answers it: the next-N rule is meant for money requests, and spending it on a question would
        move the staged decline off the sale it was set for."""
        if request.get("3") != INQUIRY:
            raise _Reject(rules.FORMAT_ERROR, f"processing code {request.get('3')!r} is not {INQUIRY} "
                                              f"(status inquiry): format error")
        _require(request, "4", "49", "90")
        original = _original_stan(request["90"])
        entry = self.ledger.entry(request["41"], original)
        stands, found = _inquired(entry, _money(request["4"], request["49"]))
        note = f"inquiry of STAN {original:06d}: {found}"
        if not stands or entry is None:
            return Handled(_reply(request, rules.NO_SUCH_RECORD), note)
        return Handled(_reply(request, APPROVED, {"37": entry.rrn, "38": entry.auth_code}), note)

    def take_back(self, handled: Handled, code: str) -> Handled:
        """The switch answers a request a second time, refusing it with `code` after the first answer.

        If the first answer approved a purchase, the switch has taken the money back on its side: the
        entry is reversed, so the ledger says what the bank now believes. Any other first answer stands
        as it was; only the second message is sent. The refusal carries no authorization code."""
        first = handled.response
        if first is None:
            return Handled(None, "nothing was answered: nothing to contradict")
        second = {key: value for key, value in first.items() if key != "38"} | {"39": code}
        approved_0200 = first["t"] == "0210" and first.get("39") == APPROVED
        entry = self.ledger.entry(first["41"], first["11"]) if approved_0200 else None
        if entry is None or entry.kind is not Kind.SALE:
            return Handled(second, f"answered again with {code}; nothing taken back")
        _, outcome = self.ledger.reverse(entry.terminal_id, entry.stan, self.clock.now(),
                                         why=f"the switch took back its approval and refused with {code}")
        return Handled(second, f"approval of STAN {entry.stan:06d} taken back ({outcome}), "
                               f"answered again with {code}")

    def _network(self, request: Fields) -> Handled:
        if request.get("70") != ECHO_TEST:
            raise _Reject(rules.FORMAT_ERROR, f"network code (field 70) {request.get('70')!r} is not "
                                              f"{ECHO_TEST} (echo test): format error")
        return Handled(_reply(request, APPROVED), "echo test")

    def _settlement(self, request: Fields) -> Handled:
        """Totals as ISO 8583 counts them for a card acceptor: debits are sales, credits are refunds —
        everything the terminal did since its last balanced settlement, whether or not the host has
        closed those entries' batch itself in the meantime (end of day, `settle`)."""
        said = tuple(_count(request, field) for field in ("76", "88", "74", "86"))
        terminal = request["41"]
        since = self.ledger.entries[self._settled_upto.get(terminal, 0):]
        sales = [entry.charge for entry in since
                 if entry.terminal_id == terminal and entry.kind is Kind.SALE and entry.charge]
        refunds = [-entry.charge for entry in since
                   if entry.terminal_id == terminal and entry.kind is Kind.REFUND and entry.charge]
        host = (len(sales), sum(sales), len(refunds), sum(refunds))
        totals = "debits {}/{} credits {}/{}"
        forced = self.rules.settlement.take()
        if forced == "unavailable":
            return Handled(_reply(request, rules.SETTLEMENT_ANSWERS[forced]),
                           f"settlement totals unavailable (forced), terminal {totals.format(*said)}")
        if forced is None and said != host and not any(host) and said == self._last_balanced.get(terminal):
            # The terminal never heard the answer to its balanced 0500 and asks again: the same answer.
            return Handled(_reply(request, APPROVED),
                           f"settlement balanced again ({totals.format(*said)}): a repeat, nothing left to settle")
        if (forced or ("balanced" if said == host else "unbalanced")) == "unbalanced":
            return Handled(_reply(request, rules.OUT_OF_BALANCE),
                           f"settlement out of balance{' (forced)' if forced else ''}: terminal "
                           f"{totals.format(*said)}, host {totals.format(*host)}")
        settled = self.ledger.settle(self.clock.now(), terminal)
        self._settled_upto[terminal] = len(self.ledger.entries)
        self._last_balanced[terminal] = said
        return Handled(_reply(request, APPROVED),
                       f"settlement balanced{' (forced)' if forced else ''} ({totals.format(*said)}, "
                       f"host {totals.format(*host)}): {len(settled)} entries settled")


def _inquired(entry: Entry | None, amount: Money) -> tuple[bool, str]:
    """Whether the inquired sale still takes money from the card, and what was found, for the log. An
    entry of another amount is not the sale asked about (a STAN reused after settlement): to say "paid"
    on its strength would tell the cashier a customer paid who did not."""
    if entry is None:
        return False, "no such transaction"
    if entry.kind is not Kind.SALE:
        return False, f"a {entry.kind.value}, not a sale: no such transaction"
    if entry.amount != amount:
        return False, f"the sale with that STAN is of {entry.amount}, not {amount}: no such transaction"
    stands = entry.charge > 0
    return stands, f"{entry.status}, " + ("charge stands" if stands else "nothing charged")


def _original_stan(data: str) -> int:
    """The original STAN from field 90 (characters 5–10), as a reversal or an inquiry names it."""
    original = data[4:10]
    if not (len(original) == 6 and _digits(original)):
        raise _Reject(rules.FORMAT_ERROR, f"field 90 {data!r} has no original STAN at 5–10: format error")
    return int(original)


def _reply(request: Fields, code: str, extra: Fields | None = None) -> Fields:
    response = {field: request[field] for field in ECHOED if field in request}
    response["t"] = response_mti(request["t"])
    response["39"] = code
    return response | (extra or {})


def _require(request: Fields, *fields: str) -> None:
    missing = [field for field in fields if not request.get(field)]
    if missing:
        raise _Reject(rules.FORMAT_ERROR, f"{request['t']} without field {', '.join(missing)}: format error")


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _stan(text: str) -> int:
    if not (_digits(text) and int(text) > 0):
        raise _Reject(rules.FORMAT_ERROR, f"STAN {text!r} is not 000001..999999: format error")
    return int(text)


def _money(amount: str, currency: str) -> Money:
    if not _digits(amount):
        raise _Reject(rules.FORMAT_ERROR, f"amount {amount!r} is not digits: format error")
    if currency not in CURRENCIES:
        raise _Reject(rules.FORMAT_ERROR, f"currency {currency!r} is not a known ISO 4217 number: format error")
    if int(amount) == 0:
        raise _Reject(rules.INVALID_AMOUNT, "amount is zero: invalid amount")
    return Money(int(amount), CURRENCIES[currency])


def _count(request: Fields, field: str) -> int:
    text = request.get(field, "0")
    if not _digits(text):
        raise _Reject(rules.FORMAT_ERROR, f"settlement field {field} {text!r} is not digits: format error")
    return int(text)


def _card(request: Fields) -> tuple[str, str] | None:
    """PAN and expiry from field 2 / 14, or from track 2 (field 35); None when no card was presented."""
    track = request.get("35", "")
    separator = next((index for index, char in enumerate(track) if char in "=D"), len(track))
    pan = request.get("2") or track[:separator]
    if not pan:
        return None
    if not _digits(pan):
        raise _Reject(rules.INVALID_CARD, f"card number {mask_pan(pan)} is not digits: invalid card")
    return pan, request.get("14") or track[separator + 1:separator + 5]
