"""打印机故障/卡纸: a receipt job stopped on a fault — the fix prompted, then one copy, or an e-receipt.

The agent holds the job and opens this flow when the printer's status, read before or after the receipt,
is anything but printable: paper end, cover open, offline, an error, or no reply at all (unknown is
never taken for OK). The cashier fixes the printer and says so; the agent reads the status again before
printing, so a fix that did not take brings the fault straight back here. A copy after any attempt
that may have put paper out is marked 重打印 / DUPLICATE by the agent, which knows the job's history.

When the customer cannot wait, the job is closed on record and the receipt goes to them as an
e-receipt through contact capture. When the printer never answered after the receipt went out, the
cashier may have seen it come out whole: confirming that ends the job without a second copy.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any

from domain.card import MaskedPan
from domain.effects import ClosePrintJob, Notify, RetryPrint, SaleFacts, ShowPrompt
from domain.events import CashierAction, PrinterCondition, PrinterStatus, ReceiptPrinted
from domain.ids import Stan
from domain.money import Money
from flows.base import Flow, FlowContext, prompt_facts

C = PrinterCondition
# What the cashier must fix first when the printer reports several things at once: a cover open or the
# paper out also make it report offline, and those say what to do.
FIX_ORDER = (C.COVER_OPEN, C.PAPER_END, C.ERROR, C.OFFLINE, C.NO_REPLY)


def fault_of(conditions: frozenset[PrinterCondition]) -> PrinterCondition | None:
    """The one fault the cashier is asked to fix, or None if the printer can print."""
    return next((condition for condition in FIX_ORDER if condition in conditions), None)


class PrinterFaultState(enum.Enum):
    IDLE = "idle"
    FIXING = "fixing"
    REPRINTING = "reprinting"
    CAPTURING_CONTACT = "capturing_contact"
    PRINTED = "printed"
    E_RECEIPT = "e_receipt"  # the customer left details: the receipt goes to them from the outbox
    NO_RECEIPT = "no_receipt"  # the customer left without a receipt or details; the sale stands on record


@dataclasses.dataclass
class PrinterFaultContext(FlowContext):
    receipt_id: str | None = None
    kind: str = "sale"  # the document's type: sale receipt, not_paid / void / contact slip
    fault: str = C.NO_REPLY.value
    may_have_printed: bool = False

    def unverified(self, _: Any = None) -> bool:
        """The receipt went out and the printer said nothing after: only the cashier's eyes can tell."""
        return self.may_have_printed and self.fault == C.NO_REPLY.value


class PrinterFaultFlow(Flow):
    name = "printer_fault"
    State = PrinterFaultState
    Context = PrinterFaultContext
    ACTIONS = frozenset({"printer_fixed", "receipt_ok", "customer_leaves", "contact_saved", "contact_declined"})

    ctx: PrinterFaultContext

    def transitions(self) -> list[dict[str, Any]]:
        P = PrinterFaultState
        t = self.transition
        return [
            t("fault", P.IDLE, P.FIXING, before=self._open),
            t("fault", [P.FIXING, P.REPRINTING], P.FIXING, before=self._note),
            t("printer_fixed", P.FIXING, P.REPRINTING, before=self._retry),
            t("printed", [P.FIXING, P.REPRINTING], P.PRINTED),
            t("receipt_ok", P.FIXING, P.PRINTED, conditions=self.ctx.unverified, before=self._confirmed),
            t("customer_leaves", P.FIXING, P.CAPTURING_CONTACT, before=self._customer_left),
            t("contact_saved", P.CAPTURING_CONTACT, P.E_RECEIPT, before=self._e_receipt),
            t("contact_declined", P.CAPTURING_CONTACT, P.NO_RECEIPT),
        ]

    def trigger_for(self, event: Any) -> str | None:
        match event:
            case PrinterStatus(receipt_id=str() as receipt_id) if fault_of(event.conditions) is not None and (
                    self.ctx.receipt_id in (None, receipt_id)) and event.document is not None:
                return "fault"
            case ReceiptPrinted(receipt_id=receipt_id) if receipt_id == self.ctx.receipt_id:
                return "printed"
            case CashierAction():
                return self.action_trigger(event)
        return None

    def prompt(self) -> ShowPrompt | None:
        P = PrinterFaultState
        match self.state:
            case P.FIXING if self.ctx.unverified():
                prompt_id = "printer.unverified"
            case P.FIXING:
                prompt_id = f"printer.{self.ctx.fault}"
            case P.REPRINTING:
                prompt_id = "printer.reprinting"
            case P.PRINTED:
                prompt_id = "printer.printed"
            case P.CAPTURING_CONTACT:
                prompt_id = "printer.contact"
            case P.E_RECEIPT:
                prompt_id = "printer.e_receipt"
            case P.NO_RECEIPT:
                prompt_id = "printer.no_receipt"
            case _:
                return None
        facts = prompt_facts(self.sale)
        facts.setdefault("masked", "-")  # a slip may name no card
        facts.setdefault("time", "-")
        return ShowPrompt(prompt_id, facts)

    # -- callbacks -------------------------------------------------------------------------------------

    def _open(self, event: PrinterStatus) -> None:
        assert event.document is not None and event.receipt_id is not None  # trigger_for checked
        self.ctx.receipt_id = event.receipt_id
        self.ctx.kind = str(event.document.get("type", "sale"))
        self.ctx.sale = facts_of(event.document)
        self._note(event)

    def _note(self, event: PrinterStatus) -> None:
        fault = fault_of(event.conditions)
        assert fault is not None
        self.ctx.fault = fault.value
        self.ctx.may_have_printed = self.ctx.may_have_printed or event.may_have_printed

    def _retry(self, _: CashierAction) -> None:
        self.emit(RetryPrint(self._receipt))

    def _confirmed(self, _: CashierAction) -> None:
        self.emit(ClosePrintJob(self._receipt, "confirmed_by_cashier"))

    def _customer_left(self, _: CashierAction) -> None:
        self.emit(ClosePrintJob(self._receipt, "customer_left"))
        self.capture_contact("e_receipt")

    def _e_receipt(self, event: CashierAction) -> None:
        self.open_case(event, slip=False)  # the printer is the trouble: the e-receipt carries the details
        self.emit(Notify(self.flow_id, f"e_receipt.{self.ctx.kind}"))

    @property
    def _receipt(self) -> str:
        assert self.ctx.receipt_id is not None
        return self.ctx.receipt_id


def facts_of(document: dict[str, Any]) -> SaleFacts:
    """The sale a receipt document is about, as far as the document tells it (it never holds more than
    a masked card)."""
    def optional(key: str, parse: Any) -> Any:
        value = document.get(key)
        return None if value in (None, "", "None") else parse(value)

    return SaleFacts(
        sale_id=str(document.get("sale_id", "")),
        amount=Money.from_json(document["amount"]),
        masked=optional("masked", MaskedPan.parse),
        stan=optional("stan", Stan.parse),
        sent_at=optional("time", datetime.fromisoformat),
    )
