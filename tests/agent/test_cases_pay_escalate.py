"""`recoup cases pay` and `recoup cases escalate`: a customer who pays later at the desk, and one who never does."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from agent.cases import CaseStore
from agent.commands import cases
from agent.config import ContactSettings, JournalSettings, Settings
from agent.contacts import ContactStore
from agent.flowstore import FLOW_SAVED
from agent.journal import Journal
from agent.keys import load_or_create_key
from domain.card import MaskedPan
from domain.clock import VirtualClock
from domain.effects import OpenCase, Print, SaleFacts
from domain.events import CashierAction, HostResponse, LinkDown, ReceiptUnpaidReported, RequestSent, record
from domain.ids import Stan
from domain.money import Money
from flows import ReceiptUnpaidFlow
from tests.agent.test_cases_cli import run

SALE = SaleFacts("sale-7", Money.parse("23.80"), MaskedPan.parse("620000******0005"), stan=Stan(11),
                 sent_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC), response_code="00")


@pytest.fixture
def settings(tmp_path):
    return Settings(journal=JournalSettings(path=tmp_path / "journal.sqlite"),
                    contacts=ContactSettings(key_file=tmp_path / "contact.key"))


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv(cases.KEY_ENV_VAR, raising=False)


def unpaid_case(settings, *, contact: bool = True, case_type: str = "receipt_unpaid", verified: bool = True) -> str:
    """A receipt_unpaid case as the counter leaves it: the flow's saved facts, the case, maybe a contact."""
    clock = VirtualClock(start=datetime.now(UTC) - timedelta(days=3))
    key = load_or_create_key(settings.contacts.key_file, cases.KEY_ENV_VAR)
    with Journal.open(settings.journal.path, clock=clock) as journal:
        flow = ReceiptUnpaidFlow("receipt_unpaid-3")
        flow.handle(ReceiptUnpaidReported(SALE, "sale-7-000011", "contradicted", "agent"))
        flow.handle(RequestSent(SALE.sale_id, Stan(12), SALE.sent_at))
        if verified:
            [slip] = [effect for effect in flow.handle(HostResponse(Stan(12), "25")) if isinstance(effect, Print)]
            journal.append("receipt_to_print", record(slip)[1], stream=SALE.sale_id)  # the NOT PAID slip
        else:
            flow.handle(LinkDown("no answer"))  # unverified: nothing decided, no slip
        flow.handle(CashierAction("customer_leaves"))
        flow.handle(CashierAction("contact_declined"))  # the flow is done; the case follows the customer
        journal.append(FLOW_SAVED, {"flow_id": flow.flow_id, "flow": flow.to_json()}, stream=SALE.sale_id)
        contact_id = ContactStore(journal, key).record(consent=True, phone="13900139000", channel="sms",
                                                      case_id=flow.flow_id) if contact else None
        effect = OpenCase(flow.flow_id, case_type, (SALE.sale_id,), SALE.amount, SALE.masked, contact_id)
        journal.append("case_opened", record(effect)[1], stream=SALE.sale_id)
    return flow.flow_id


def journal_of(settings):
    return Journal.open(settings.journal.path)


def test_paid_later_in_cash_closes_the_case_records_the_payment_and_drafts_thanks(settings, capsys):
    case_id = unpaid_case(settings)
    assert run(settings, "cases", "pay", case_id, "--method", "cash", "--who", "王店长") == 0
    assert capsys.readouterr().out.strip() == (f"recorded CNY 23.80 paid by cash for sale sale-7; case {case_id} "
                                               f"closed: paid_later")
    with journal_of(settings) as journal:
        case = CaseStore(journal, journal.clock).get(case_id)
        assert (case.state, case.resolution, case.closed_by) == ("closed", "paid_later", "王店长")
        [paid] = journal.events(kind="payment_recorded", stream="sale-7")
        assert paid.payload["method"] == "cash" and paid.payload["amount"]["minor"] == 2380
        [draft] = journal.events(kind="notification_drafted")
        assert draft.payload["template"] == "receipt_unpaid.paid_later" and "23.80" in draft.payload["text"]["en"]
    assert run(settings, "cases", "pay", case_id, "--method", "cash", "--who", "王店长") == 2
    assert "already closed" in capsys.readouterr().err


def test_a_case_without_contact_details_is_closed_with_no_one_to_thank(settings, capsys):
    case_id = unpaid_case(settings, contact=False)
    assert run(settings, "cases", "pay", case_id, "--method", "qr", "--who", "a") == 0
    with journal_of(settings) as journal:
        assert not list(journal.events(kind="notification_drafted"))
        [skipped] = journal.events(kind="notification_not_drafted")
        assert skipped.payload["reason"] == "no contact details on the case"


@pytest.mark.parametrize(("argv", "message"), [
    (["--method", "card"], "a card payment is a new sale at the counter"),
    (["--method", "  "], "say how the customer paid"),
])
def test_pay_refuses_what_it_cannot_record(settings, capsys, argv, message):
    case_id = unpaid_case(settings)
    assert run(settings, "cases", "pay", case_id, *argv, "--who", "a") == 2
    assert message in capsys.readouterr().err


def test_a_case_never_found_unpaid_cannot_be_paid(settings, capsys):
    case_id = unpaid_case(settings, verified=False)
    assert run(settings, "cases", "pay", case_id, "--method", "cash", "--who", "a") == 2
    assert "was never found unpaid" in capsys.readouterr().err


def test_only_a_case_the_customer_owes_for_can_be_paid(settings, capsys):
    case_id = unpaid_case(settings, case_type="network_drop")
    assert run(settings, "cases", "pay", case_id, "--method", "cash", "--who", "a") == 2
    assert "a network_drop case is not one the customer pays for" in capsys.readouterr().err
    assert run(settings, "cases", "pay", "nope", "--method", "cash", "--who", "a") == 2
    assert "no case 'nope'" in capsys.readouterr().err


def test_escalating_records_it_keeps_the_case_open_and_writes_the_package(settings, tmp_path, capsys):
    case_id = unpaid_case(settings)
    out = tmp_path / "pkg.zip"
    assert run(settings, "cases", "escalate", case_id, "--reason", "customer did not pay after three reminders",
               "--who", "王店长", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert f"escalated case {case_id} (1 escalation(s)); it stays open" in printed and str(out) in printed
    with journal_of(settings) as journal:
        case = CaseStore(journal, journal.clock).get(case_id)
        assert case.state == "open" and [e.reason for e in case.escalations] == [
            "customer did not pay after three reminders"]
    with zipfile.ZipFile(out) as archive:
        text = b"".join(archive.read(name) for name in archive.namelist())
    assert b"620000******0005" in text and b"13900139000" not in text


@pytest.mark.parametrize(("reason", "message"), [
    ("call 13900139000 again", "holds a phone number"),
    ("  ", "is required"),
])
def test_an_escalation_reason_holds_no_contact_details(settings, capsys, reason, message):
    case_id = unpaid_case(settings)
    assert run(settings, "cases", "escalate", case_id, "--reason", reason, "--who", "a") == 2
    assert message in capsys.readouterr().err


def test_who_acted_is_a_name_never_a_phone_number(settings, capsys):
    case_id = unpaid_case(settings)
    assert run(settings, "cases", "escalate", case_id, "--reason", "no payment", "--who", "13900139000") == 2
    assert "holds a phone number" in capsys.readouterr().err
