"""The acquirer messages of ISO 8583:1987 as field dictionaries (`Fields`, "t" = MTI), ready for the codec.

Builders leave field 11 (STAN) out unless given one: the link assigns it from the one counter that knows
which trace numbers are still outstanding. A repeat (0401) is the exception and carries the STAN of its
first attempt, so the host recognises the same reversal again.

Times: field 7 is the transmission time in UTC; fields 12 and 13 are the local time and date *in the
time zone of the `at` you pass*, so pass the counter's local time (`clock.now().astimezone(shop_tz)`).
`at` must be timezone-aware: a naive time would put a wrong date on the host's record.

Reversals, voids and refunds are built from the original request as journaled (`journal_safe`), never
from the card: the PAN is not at rest, and a reversal after a crash — when it matters most — must still
be possible. The host finds the original by field 90 (MTI, STAN, transmission time), 41 and 42, and for
voids and refunds by the RRN and authorization code it gave. So a reversal carries no field 2. A void or
refund carries the card only when it was presented again (`card=`).

An inquiry (0600) is built the same way and for the same reason: it is asked exactly when a sale's
outcome is in doubt (a receipt printed for a sale that may not have been paid), often after a restart,
so it too names its original by field 90 and carries no card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.card import Card, mask_pan
from domain.events import EntryMode, HostResponse
from domain.ids import Rrn, Stan
from domain.money import NUMERIC, Money
from drivers.errors import LocalProtocolError, RemoteProtocolError
from drivers.host.codec import Fields

PURCHASE, VOID, REFUND = "000000", "020000", "200000"
# 0600 transaction status inquiry. Not fixed by ISO 8583:1987 for this purpose: "330000" is this project's
# choice, understood by the virtual acquirer; a real acquirer's variant will come from config.
INQUIRY = "330000"
ENTRY_MODES: dict[EntryMode, str] = {
    EntryMode.SWIPE: "021",
    EntryMode.CHIP: "051",
    EntryMode.TAP: "071",
    EntryMode.FALLBACK: "801",
}
ECHO_TEST = "301"
_CONDITION_NORMAL = "00"
_NO_INSTITUTION = "0" * 11  # acquirer and forwarding institution ids in field 90: none, we talk direct
_CARD_DATA = frozenset({"35", "36", "45", "52"})  # track 2, track 3, track 1, PIN block: never kept


@dataclass(frozen=True)
class Terminal:
    """Who we are to the acquirer: fields 41, 42 and 49, fixed-length as the 1987 spec makes them."""

    terminal_id: str
    merchant_id: str
    currency: str = "156"

    def __post_init__(self) -> None:
        for name, value, size in (("terminal id", self.terminal_id, 8), ("merchant id", self.merchant_id, 15)):
            if len(value) != size or not value.isascii() or not value.isprintable():
                raise ValueError(f"{name} must be {size} printable ASCII characters, got {value!r}")
        if self.currency not in NUMERIC.values():
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 numeric code we know")


# -- building ------------------------------------------------------------------------------------------

def purchase(card: Card, amount: Money, entry_mode: EntryMode, *, at: datetime, terminal: Terminal,
             stan: Stan | None = None) -> Fields:
    """0200 消费."""
    fields = _financial(PURCHASE, amount, at, terminal, stan)
    fields.update(_card_fields(card, entry_mode))
    return fields


def void(original: Mapping[str, str], approval: HostResponse, *, at: datetime, terminal: Terminal,
         card: Card | None = None, entry_mode: EntryMode | None = None, stan: Stan | None = None) -> Fields:
    """0200 撤销 of an approved purchase in the open batch, for its full amount."""
    amount = _original_amount(original, PURCHASE)
    return _referencing(VOID, amount, original, approval, at, terminal, card, entry_mode, stan)


def refund(original: Mapping[str, str], approval: HostResponse, amount: Money, *, at: datetime,
           terminal: Terminal, card: Card | None = None, entry_mode: EntryMode | None = None,
           stan: Stan | None = None) -> Fields:
    """0200 退货 of a settled purchase, for at most its amount."""
    paid = _original_amount(original, PURCHASE)
    if amount.currency != paid.currency or amount.minor > paid.minor:
        raise LocalProtocolError(f"refund of {amount} exceeds or differs from the original {paid}")
    return _referencing(REFUND, amount, original, approval, at, terminal, card, entry_mode, stan)


def reversal(original: Mapping[str, str], *, at: datetime, repeat: bool = False,
             stan: Stan | None = None) -> Fields:
    """0400 冲正 of a request whose outcome is unknown; 0401 when repeated (pass the first attempt's STAN)."""
    if original.get("t") != "0200":
        raise LocalProtocolError(f"only a 0200 is reversed, not {original.get('t')!r}")
    _require(original, "3", "4", "7", "11", "41", "42", "49")
    fields = {"t": "0401" if repeat else "0400", "7": _transmission(at)}
    fields.update({key: original[key] for key in ("3", "4", "41", "42", "49")})
    fields["90"] = original_data(original)
    return _with_stan(fields, stan)


def inquiry(original: Mapping[str, str], *, at: datetime, terminal: Terminal,
            stan: Stan | None = None) -> Fields:
    """0600 交易状态查询: does the acquirer hold this purchase's charge? It moves no money, so it can be
    asked again and again; only a purchase is asked about, because a void or refund "standing" would
    read as the opposite of paid."""
    if original.get("t") != "0200":
        raise LocalProtocolError(f"only a 0200 can be inquired about, not {original.get('t')!r}")
    amount = _original_amount(original, PURCHASE)
    _require(original, "41")
    if original["41"] != terminal.terminal_id:
        raise LocalProtocolError(f"original field 41 {original['41']!r} is not this terminal "
                                 f"({terminal.terminal_id!r}): the host would find no such sale")
    _check_currency(amount, terminal)
    local = _aware(at)
    fields = {"t": "0600", "3": INQUIRY, "4": original["4"], "7": _transmission(at),
              "12": local.strftime("%H%M%S"), "13": local.strftime("%m%d"), "41": terminal.terminal_id,
              "42": terminal.merchant_id, "49": terminal.currency, "90": original_data(original)}
    return _with_stan(fields, stan)


def echo(*, at: datetime | None = None, stan: Stan | None = None) -> Fields:
    """0800 network echo; field 7 only when the caller knows the time (the link's own echo may not)."""
    fields = {"t": "0800", "70": ECHO_TEST}
    if at is not None:
        fields["7"] = _transmission(at)
    return _with_stan(fields, stan)


def settlement(*, at: datetime, terminal: Terminal, credits_count: int, credits_amount: Money,
               debits_count: int, debits_amount: Money, stan: Stan | None = None) -> Fields:
    """0500 结算 totals in the acquirer's terms: debits are purchases, credits are refunds.

    Fields 74/76 (counts, n10) and 86/88 (amounts, n16) are the 1987 reconciliation totals that
    default_ascii defines; voids and reversals are already netted out of these counts by the caller.
    """
    counts = (credits_count, debits_count)
    if any(isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 10**10 for n in counts):
        raise LocalProtocolError(f"settlement counts must be 0..9999999999, got {counts}")
    for total in (credits_amount, debits_amount):
        _check_currency(total, terminal)
        if total.minor >= 10**16:
            raise LocalProtocolError(f"settlement total {total} does not fit 16 digits")
    fields = {"t": "0500", "7": _transmission(at), "41": terminal.terminal_id, "42": terminal.merchant_id,
              "49": terminal.currency, "74": f"{credits_count:010d}", "76": f"{debits_count:010d}",
              "86": f"{credits_amount.minor:016d}", "88": f"{debits_amount.minor:016d}"}
    return _with_stan(fields, stan)


def original_data(original: Mapping[str, str]) -> str:
    """Field 90: original MTI, STAN and transmission time, then two empty institution ids (42 chars)."""
    _require(original, "t", "11", "7")
    return original["t"] + original["11"] + original["7"] + _NO_INSTITUTION + _NO_INSTITUTION


def journal_safe(fields: Mapping[str, str]) -> dict[str, str]:
    """The form of a message that may be journaled or logged: PAN masked first 6 / last 4, track data
    and PIN block dropped. Everything else is kept, so the journal alone can rebuild a reversal."""
    safe = {key: value for key, value in fields.items() if key not in _CARD_DATA}
    if "2" in safe:
        safe["2"] = mask_pan(safe["2"])
    return safe


def _financial(processing: str, amount: Money, at: datetime, terminal: Terminal, stan: Stan | None) -> Fields:
    _check_currency(amount, terminal)
    if not 0 < amount.minor < 10**12:
        raise LocalProtocolError(f"amount {amount} must be positive and fit 12 digits")
    local = _aware(at)
    fields = {"t": "0200", "3": processing, "4": f"{amount.minor:012d}", "7": _transmission(at),
              "12": local.strftime("%H%M%S"), "13": local.strftime("%m%d"), "25": _CONDITION_NORMAL,
              "41": terminal.terminal_id, "42": terminal.merchant_id, "49": terminal.currency}
    return _with_stan(fields, stan)


def _referencing(processing: str, amount: Money, original: Mapping[str, str], approval: HostResponse,
                 at: datetime, terminal: Terminal, card: Card | None, entry_mode: EntryMode | None,
                 stan: Stan | None) -> Fields:
    if approval.response_code != "00" or approval.rrn is None:
        raise LocalProtocolError(f"only an approved sale with an RRN can be referenced, got {approval}")
    if str(approval.stan) != original["11"]:
        raise LocalProtocolError(f"approval {approval.stan} does not answer request {original['11']}")
    fields = _financial(processing, amount, at, terminal, stan)
    fields["37"] = str(approval.rrn)
    if approval.auth_code:
        fields["38"] = approval.auth_code
    fields["90"] = original_data(original)
    if card is not None:
        if entry_mode is None:
            raise LocalProtocolError("a presented card needs its entry mode")
        fields.update(_card_fields(card, entry_mode))
    return fields


def _card_fields(card: Card, entry_mode: EntryMode) -> Fields:
    expiry = str(card.expiry)
    return {"2": card.pan, "14": expiry, "22": ENTRY_MODES[entry_mode],
            "35": f"{card.pan}={expiry}{card.service_code}"}


def _original_amount(original: Mapping[str, str], processing: str) -> Money:
    _require(original, "t", "3", "4", "7", "11", "49")
    if original["t"] != "0200" or original["3"] != processing:
        raise LocalProtocolError(f"original is {original['t']}/{original['3']}, not a 0200/{processing}")
    currency = next((code for code, numeric in NUMERIC.items() if numeric == original["49"]), None)
    if currency is None or not original["4"].isdigit():
        raise LocalProtocolError(f"original amount {original['4']!r} {original['49']!r} is not money")
    return Money(int(original["4"]), currency)


def _check_currency(amount: Money, terminal: Terminal) -> None:
    if amount.numeric_code != terminal.currency:
        raise LocalProtocolError(f"{amount} is not in the terminal's currency {terminal.currency}")


def _require(fields: Mapping[str, str], *keys: str) -> None:
    missing = [key for key in keys if key not in fields]
    if missing:
        raise LocalProtocolError(f"message {fields.get('t', '????')} lacks field(s) {', '.join(missing)}")


def _with_stan(fields: Fields, stan: Stan | None) -> Fields:
    if stan is not None:
        fields["11"] = str(stan)
    return fields


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise LocalProtocolError(f"message time {at.isoformat()} has no time zone")
    return at


def _transmission(at: datetime) -> str:
    return _aware(at).astimezone(UTC).strftime("%m%d%H%M%S")


# -- reading -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResponseCode:
    code: str
    approved: bool
    meaning: str


RESPONSE_CODES: dict[str, ResponseCode] = {c.code: c for c in (
    ResponseCode("00", True, "approved"),
    ResponseCode("05", False, "do not honour"),
    ResponseCode("14", False, "invalid card number"),
    ResponseCode("25", False, "no such record"),
    ResponseCode("30", False, "format error"),
    ResponseCode("51", False, "insufficient funds"),
    ResponseCode("54", False, "expired card"),
    ResponseCode("91", False, "issuer unavailable"),
    ResponseCode("94", False, "duplicate transmission"),
    ResponseCode("96", False, "system malfunction"),
)}


def describe(code: str) -> ResponseCode:
    """What a response code means; a code we do not know is a decline, never an approval."""
    return RESPONSE_CODES.get(code) or ResponseCode(code, False, f"declined, unknown reason (code {code})")


def response_code(fields: Mapping[str, str]) -> str:
    code = fields.get("39")
    if code is None:
        raise RemoteProtocolError(f"response {fields.get('t', '????')} has no field 39 (response code)")
    if len(code) != 2 or not code.isascii() or not code.isalnum():
        raise RemoteProtocolError(f"field 39 (response code) {code!r} is not two letters or digits")
    return code


def parse_response(fields: Mapping[str, str]) -> HostResponse:
    """The facts a flow needs from a 0210/0410/0510/0610 reply. A bad field is the host's fault and named."""
    try:
        stan = Stan.parse(fields["11"])
    except KeyError:
        raise RemoteProtocolError(f"response {fields.get('t', '????')} has no field 11 (STAN)") from None
    except ValueError as exc:
        raise RemoteProtocolError(f"field 11 (STAN): {exc}") from None
    code = response_code(fields)
    rrn = None
    if "37" in fields:
        try:
            rrn = Rrn(fields["37"])
        except ValueError as exc:
            raise RemoteProtocolError(f"field 37 (RRN): {exc}") from None
    auth_code = fields.get("38")
    if auth_code is not None and not (auth_code.isascii() and auth_code.isprintable()):
        raise RemoteProtocolError(f"field 38 (authorization code) {auth_code!r} is not printable ASCII")
    return HostResponse(stan, code, rrn, auth_code if auth_code and auth_code.strip() else None)
