"""Sample domain events for driving the flows: one sale (S1, STAN 7, flow F1), and everything around it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.card import Card, Expiry, MaskedPan
from domain.effects import HandOver, HandOverReason, SaleFacts, SettlementTotals
from domain.events import (
    AmountEntered,
    CardRead,
    CashierAction,
    DeviceState,
    EntryMode,
    HostResponse,
    LineNoise,
    LinkDown,
    LinkUp,
    PrinterCondition,
    PrinterStatus,
    ReadCheck,
    ReadError,
    ReaderStatus,
    ReceiptPrinted,
    ReceiptUnpaidReported,
    RequestSent,
    ReversalAcknowledged,
    ReversalFailed,
    ReversalRefused,
    SettlementMissing,
    SettlementRequested,
    StoredReversalsSent,
    StoredReversalsStuck,
    TimerFired,
)
from domain.ids import Rrn, Stan
from domain.money import Money

FLOW_ID = "F1"
SALE_ID = "S1"
STAN = Stan(7)
OTHER_STAN = Stan(8)
AMOUNT = Money(5800)
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
CARD = Card("4111111111111111", Expiry(2030, 12), "201")
CARD_HASH = "9f" * 32
CODES = ("51", "54", "14", "05", "91", "96", "30", "12")

SENT = SaleFacts(SALE_ID, AMOUNT, MaskedPan.of(CARD.pan), CARD.expiry, CARD_HASH, STAN, T0)
ACTION_DATA: dict[str, dict[str, Any]] = {"other_payment": {"method": "cash"}, "contact_saved": {"contact_id": "C1"}}
ACTION_NAMES = ("cancel", "another_card", "retry_card", "other_payment", "customer_leaves", "contact_saved",
                "contact_declined", "printer_fixed", "receipt_ok", "confirm_wrong_card", "not_wrong_card",
                "check_again")


def action(name: str) -> CashierAction:
    """The action as the cashier app sends it, with the data it requires."""
    return CashierAction(name, ACTION_DATA.get(name, {}))


def declined(code: str) -> HandOver:
    return HandOver("declined", HandOverReason.DECLINED, SaleFacts(**{**vars(SENT), "response_code": code}))


NOTHING_CHARGED = HandOver("network_drop", HandOverReason.NOTHING_CHARGED, SaleFacts(SALE_ID, AMOUNT))
NOTHING_SENT = HandOver("network_drop", HandOverReason.NOTHING_CHARGED,  # card read, request never left
                        SaleFacts(SALE_ID, AMOUNT, SENT.masked, SENT.expiry, CARD_HASH))
OUTCOME_UNKNOWN = HandOver("network_drop", HandOverReason.OUTCOME_UNKNOWN, SENT)
RECEIPT_ID = f"{SALE_ID}-{STAN}"
RECEIPT = {"type": "sale", "status": "approved", "sale_id": SALE_ID, "amount": AMOUNT.to_json(),
           "masked": str(SENT.masked), "auth_code": "123456", "rrn": "000000000007", "stan": str(STAN),
           "time": T0.isoformat()}
PRINTER_FAULTS = tuple(  # a receipt job held: before it printed, and after it may have
    PrinterStatus(frozenset(conditions), RECEIPT_ID, sent, RECEIPT)
    for conditions in ({PrinterCondition.PAPER_END, PrinterCondition.OFFLINE}, {PrinterCondition.COVER_OPEN},
                       {PrinterCondition.OFFLINE}, {PrinterCondition.ERROR}, {PrinterCondition.NO_REPLY})
    for sent in (False, True))
UNPAID_REPORTS = (  # a receipt reported unpaid: the journal's view, as the agent finds it
    ReceiptUnpaidReported(SaleFacts(**{**vars(SENT), "response_code": "00"}), RECEIPT_ID, "approved", "cashier"),
    ReceiptUnpaidReported(SaleFacts(**{**vars(SENT), "response_code": "00"}), RECEIPT_ID, "reversed", "agent"),
    ReceiptUnpaidReported(SaleFacts(SALE_ID, AMOUNT), "till-0042", "not_sent", "cashier"),
)
SETTLEMENT = (  # end of day: the totals, the 0500 on the wire (flow F1's), out of balance, stored reversals
    SettlementRequested(SettlementTotals(3, Money(17400), 1, Money(1250))),
    RequestSent(FLOW_ID, STAN, T0),
    HostResponse(STAN, "95"),
    TimerFired(f"{FLOW_ID}.settlement_response"),
    StoredReversalsSent(2),
    StoredReversalsSent(0),
    StoredReversalsStuck(1, "the acquirer refused the reversal with code 96"),
)
IGNORABLE = (  # events no flow has any business with
    LineNoise("garbage", 3),
    ReaderStatus(DeviceState.OFFLINE, "unplugged"),
    PrinterStatus(frozenset({PrinterCondition.PAPER_END})),  # read between jobs: the status bar's business
    PrinterStatus(frozenset({PrinterCondition.PAPER_NEAR_END}), RECEIPT_ID, True, RECEIPT),  # printable
    ReceiptPrinted("S2-000008"),  # another receipt
    SettlementMissing(STAN, Rrn("000000000007"), AMOUNT, T0),
    HostResponse(OTHER_STAN, "00", Rrn("000000000008"), "123456"),  # another sale's answer
    RequestSent("S2", OTHER_STAN, T0),
    TimerFired("F2.auth_response"),
    ReversalAcknowledged(SALE_ID, OTHER_STAN),
    ReversalFailed("S2", STAN, "timeout"),
    ReversalRefused(SALE_ID, OTHER_STAN, "12"),
    TimerFired("F2:link_steady"),
    CashierAction("dance"),
    CashierAction("other_payment"),  # no method: the app must say how
    CashierAction("contact_saved"),  # no contact id
)

EVENTS: tuple[Any, ...] = (
    AmountEntered(SALE_ID, AMOUNT),
    HandOver("sale", HandOverReason.ANOTHER_CARD, SaleFacts(**{**vars(SENT), "response_code": "51"})),
    HandOver("sale", HandOverReason.RETRY, SENT),
    HandOver("sale", HandOverReason.PAY_UNPAID, SaleFacts(f"{SALE_ID}-pay", AMOUNT, settles="receipt_unpaid-9")),
    NOTHING_CHARGED,
    NOTHING_SENT,
    OUTCOME_UNKNOWN,
    *(declined(code) for code in CODES),
    CardRead(CARD, EntryMode.SWIPE, CARD_HASH),
    *(ReadError(check, f"{check.value} failed") for check in ReadCheck),
    RequestSent(SALE_ID, STAN, T0),
    *(HostResponse(STAN, code, Rrn("000000000007"), "123456" if code == "00" else None) for code in ("00", *CODES)),
    LinkDown("no answer to echo within 2.0 s", "unanswered"),
    LinkUp(12.0),
    TimerFired(f"{FLOW_ID}:link_steady"),
    TimerFired(f"{FLOW_ID}.auth_response"),
    ReversalAcknowledged(SALE_ID, STAN),
    ReversalFailed(SALE_ID, STAN, "no answer"),
    ReversalRefused(SALE_ID, STAN, "12"),
    HandOver("wrong_card", HandOverReason.WRONG_CARD, SaleFacts(**{**vars(SENT), "response_code": "00"})),
    TimerFired(f"{FLOW_ID}.cancel_response"),
    *UNPAID_REPORTS,
    HostResponse(STAN, "25"),  # an inquiry's "no such charge"
    TimerFired(f"{FLOW_ID}.inquiry_response"),
    *PRINTER_FAULTS,
    ReceiptPrinted(RECEIPT_ID, True),
    *(action(name) for name in ACTION_NAMES),
    *SETTLEMENT,
    *IGNORABLE,
)
