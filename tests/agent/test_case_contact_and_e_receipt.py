"""A case's customer who declined to leave details is not drafted to, and details left later still reach
the case; an e-receipt that reached its customer closes its printer_fault case (the counter's
`e_receipt_sent`), whether the notifier sent it or a person handed it over."""

from __future__ import annotations

from domain.effects import OpenCase, ResolveCase, SaleFacts
from domain.events import record
from domain.money import Money
from tests.agent.desk import EMAIL, PHONE, down


def open_case(desk, case_id: str, case_type: str) -> SaleFacts:
    sale = SaleFacts("sale-1", Money.parse("58.00"))
    desk.journal.append("case_opened", record(OpenCase(case_id, case_type, ("sale-1",), sale.amount))[1],
                        stream="sale-1")
    return sale


def case_row(desk, case_id: str) -> tuple:
    return desk.journal.query("SELECT contact_id, state, resolution FROM cases WHERE case_id = ?", (case_id,))[0]


def test_a_customer_who_declined_gets_no_draft_and_details_left_later_attach(desk):
    sale = open_case(desk, "receipt_unpaid-2", "receipt_unpaid")
    declined = desk.contacts.record_declined(case_id="receipt_unpaid-2")
    assert case_row(desk, "receipt_unpaid-2")[0] == declined  # the answer is on the case: the manager sees it
    assert desk.outbox.draft_for_case("receipt_unpaid-2", "receipt_unpaid.payment_requested", sale) is None
    (skipped,) = desk.payloads("notification_not_drafted")
    assert skipped["reason"] == "the customer declined to leave contact details"

    later = desk.customer("receipt_unpaid-2", phone=PHONE, channel="sms")
    assert case_row(desk, "receipt_unpaid-2")[0] == later
    assert desk.outbox.draft_for_case("receipt_unpaid-2", "receipt_unpaid.payment_requested", sale) is not None

    desk.contacts.record_declined(case_id="receipt_unpaid-2")  # a later "no" does not undo what they left
    assert case_row(desk, "receipt_unpaid-2")[0] == later
    desk.journal.rebuild_projections()
    assert case_row(desk, "receipt_unpaid-2")[0] == later


def test_an_e_receipt_sent_by_hand_closes_its_case_once(desk):
    open_case(desk, "printer_fault-3", "printer_fault")
    draft = desk.draft(desk.customer("printer_fault-3", phone=PHONE, channel="phone"), "e_receipt.sale",
                       case_id="printer_fault-3")
    notifier = desk.notifier(down())
    notifier.record(draft, "no_answer", who="li")
    assert case_row(desk, "printer_fault-3")[1:] == ("open", None)
    notifier.record(draft, "sent_by_hand", who="li")
    assert case_row(desk, "printer_fault-3")[1:] == ("closed", "e_receipt_sent")
    (resolved,) = desk.payloads("case_resolved")
    assert resolved["note"] == "e-receipt sent_by_hand (phone), recorded by li"


def test_other_messages_leave_their_case_to_close_on_its_own_terms(desk):
    open_case(desk, "network_drop-4", "network_drop")
    draft = desk.draft(desk.customer("network_drop-4", email=EMAIL, channel="email"), case_id="network_drop-4")
    desk.notifier().record(draft, "sent_by_hand", who="li")
    assert case_row(desk, "network_drop-4")[1] == "open"


def test_an_e_receipt_for_a_case_already_closed_adds_no_second_closing(desk):
    open_case(desk, "printer_fault-5", "printer_fault")
    desk.journal.append("case_resolved", record(ResolveCase("printer_fault-5", "no_action_needed"))[1])
    draft = desk.draft(desk.customer("printer_fault-5", phone=PHONE, channel="phone"), "e_receipt.sale",
                       case_id="printer_fault-5")
    desk.notifier().record(draft, "reached", who="li")
    assert case_row(desk, "printer_fault-5")[1:] == ("closed", "no_action_needed")
    assert len(desk.payloads("case_resolved")) == 1
