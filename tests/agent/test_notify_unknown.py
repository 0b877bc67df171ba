"""Write before the wire, for the customer's inbox: a delivery is on record as under way before the relay
hears of it, and a stop between the relay taking the message and its outcome being journaled leaves the
draft `unknown` — refused by `send`, skipped by retries, closed by a person's record or sent again on
purpose. The stop is the journal file as it was when the real SMTP server received the message.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.cases import CaseStore
from agent.notify import FAILED, SENDING, SENT, NotifyError
from domain.effects import OpenCase
from domain.events import record
from domain.money import Money
from tests.agent.desk import EMAIL, CrashingRelay, Desk, down, free_port, kinds_on_disk, mail_relay

E_RECEIPT = "e_receipt.sale"


def emailed(desk: Desk, template: str = "network_drop.hold_released") -> int:
    return desk.draft(desk.customer(email=EMAIL, channel="email"), template=template)


def open_case(desk: Desk) -> None:
    desk.journal.append("case_opened", record(OpenCase("case-1", "printer_fault", ("sale-1",),
                                                       Money.parse("58.00")))[1], stream="case-1")


@pytest.fixture
def crashed(tmp_path):
    """A draft e-mailed once, the process stopped the moment the relay took it: (the desk as the agent finds
    it on restart, the draft, the relay). The desk the message left from is closed."""
    sent_from = Desk(tmp_path / "journal.sqlite")
    open_case(sent_from)
    draft = emailed(sent_from, E_RECEIPT)
    relay = CrashingRelay(sent_from.path, tmp_path / "after-crash.sqlite")
    with mail_relay(relay) as settings:
        assert sent_from.notifier(settings).send(draft, who="li").state == "sent"
    sent_from.journal.close()
    desk = Desk(relay.image, sent_from.clock)
    yield desk, draft, relay
    desk.journal.close()


def test_the_attempt_is_on_disk_before_the_relay_receives_the_message(desk):
    open_case(desk)
    draft = emailed(desk)
    relay = CrashingRelay(desk.path, desk.path.with_name("image.sqlite"))
    with mail_relay(relay) as settings:
        result = desk.notifier(settings).send(draft, who="li")
    assert relay.on_disk == [[SENDING]] and len(relay.messages) == 1
    assert kinds_on_disk(desk.path) == [SENDING, SENT]
    (sending,) = desk.payloads(SENDING)
    assert sending == {"draft": draft, "case_id": "case-1", "template": "network_drop.hold_released",
                       "contact_id": sending["contact_id"], "channel": "email", "to": "z***@example.com",
                       "attempt": 1, "who": "li"}
    assert (result.state, result.attempt) == ("sent", 1) and desk.payloads(SENT)[0]["attempt"] == 1
    assert desk.notifier().drafts()[0].attempts == 1
    (attempt,) = CaseStore(desk.journal, desk.clock).get("case-1").attempts  # the attempt, counted once
    assert (attempt.channel, attempt.outcome, attempt.source) == ("email", "sent", SENT)


def test_a_failed_delivery_has_its_attempt_on_record_once(desk):
    draft = emailed(desk)
    notifier = desk.notifier(down())
    notifier.send(draft)
    desk.clock.advance(60)
    notifier.retry_due()
    assert kinds_on_disk(desk.path) == [SENDING, FAILED, SENDING, FAILED]
    assert [p["attempt"] for p in desk.payloads(SENDING)] == [p["attempt"] for p in desk.payloads(FAILED)] == [1, 2]
    assert notifier.drafts()[0].attempts == 2


def test_nothing_is_on_record_as_under_way_when_nothing_could_go(desk):
    with pytest.raises(NotifyError, match="email is not configured"):
        desk.notifier().send(emailed(desk), "email")
    assert desk.payloads(SENDING) == []


def test_a_stop_after_the_relay_took_the_message_leaves_the_draft_unknown(crashed):
    desk, draft, relay = crashed
    notifier = desk.notifier(down())
    (row,) = notifier.drafts()
    assert (row.state, row.channel, row.to, row.attempts, row.retry_at) == ("unknown", "email", "z***@example.com",
                                                                          1, None)
    assert notifier.preview(draft).state == "unknown"
    with pytest.raises(NotifyError) as refused:
        notifier.send(draft)
    when = desk.clock.now().astimezone().strftime("%Y-%m-%d %H:%M")
    assert str(refused.value) == (
        f"draft {draft} may have reached the customer: attempt 1 by email to z***@example.com (li, {when}) was "
        f"under way and how it ended was never recorded. Check with the customer, then record what they say: "
        f"`recoup outbox record {draft} --outcome received` (or not_received); or send it again on purpose: "
        f"`recoup outbox send {draft} --again`")
    assert kinds_on_disk(desk.path) == [SENDING] and len(relay.messages) == 1


def test_an_unknown_draft_is_not_counted_as_a_contact_attempt_until_its_outcome_is_known(crashed):
    desk, draft, _ = crashed
    cases = CaseStore(desk.journal, desk.clock)
    assert cases.get("case-1").attempts == ()
    desk.notifier().record(draft, "received", who="wang")
    (attempt,) = cases.get("case-1").attempts
    assert (attempt.channel, attempt.outcome, attempt.who, attempt.source) == ("email", "received", "wang", SENT)


def test_retries_never_take_an_unknown_draft(tmp_path):
    """The first try fails, the second (a retry) reaches the relay and the process stops: no third."""
    sent_from = Desk(tmp_path / "journal.sqlite")
    draft = emailed(sent_from)
    relay = CrashingRelay(sent_from.path, tmp_path / "after-crash.sqlite")
    with mail_relay(relay) as settings:
        down_then = replace(settings, smtp_port=free_port())
        assert sent_from.notifier(down_then).send(draft).outcome == "failed"
        sent_from.clock.advance(60)
        assert [r.state for r in sent_from.notifier(settings).retry_due()] == ["sent"]
    sent_from.journal.close()
    desk = Desk(relay.image, sent_from.clock)
    notifier = desk.notifier(settings)
    assert notifier.drafts()[0].state == "unknown" and notifier.next_retry_at() is None
    desk.clock.advance(86400)
    assert notifier.retry_due() == [] and kinds_on_disk(desk.path) == [SENDING, FAILED, SENDING]
    desk.journal.close()


def test_sent_again_on_purpose_it_goes_and_says_so(crashed):
    desk, draft, relay = crashed
    with mail_relay(relay) as settings:
        result = desk.notifier(settings).send(draft, who="wang", again=True)
    assert (result.state, result.attempt) == ("sent", 2) and len(relay.messages) == 2
    assert [p["attempt"] for p in desk.payloads(SENDING)] == [1, 2]
    assert desk.payloads(SENDING)[1]["again"] is True and "again" not in desk.payloads(SENDING)[0]
    assert desk.notifier().drafts()[0].state == "sent"
    with pytest.raises(NotifyError, match="already sent"):
        desk.notifier(settings).send(draft, again=True)


def test_received_closes_the_attempt_as_delivered_and_an_e_receipt_its_case(crashed):
    desk, draft, _ = crashed
    result = desk.notifier().record(draft, "received", who="wang")
    assert (result.state, result.channel, result.to, result.outcome, result.attempt) == \
        ("sent", "email", "z***@example.com", "received", 1)
    (sent,) = desk.payloads(SENT)
    assert (sent["attempt"], sent["who"], sent["channel"]) == (1, "wang", "email")
    assert desk.notifier().drafts()[0].state == "sent"
    (resolved,) = desk.payloads("case_resolved")
    assert resolved["note"] == "e-receipt received by email, as the customer told wang"
    with pytest.raises(NotifyError, match=f"draft {draft} has no delivery of unknown outcome \\(it is sent\\)"):
        desk.notifier().record(draft, "not_received", who="wang")


def test_not_received_leaves_it_failed_for_a_person_to_send_again(crashed):
    desk, draft, relay = crashed
    with pytest.raises(NotifyError, match="went by email, not sms"):
        desk.notifier().record(draft, "not_received", who="wang", channel="sms")
    notifier = desk.notifier(down())
    assert notifier.record(draft, "not_received", who="wang").state == "failed"
    desk.clock.advance(86400)
    assert notifier.retry_due() == [] and notifier.drafts()[0].state == "failed"
    assert desk.payloads("case_resolved") == []
    with mail_relay(relay) as settings:
        result = desk.notifier(settings).send(draft, who="wang")
    assert (result.state, result.attempt) == ("sent", 2) and "again" not in desk.payloads(SENDING)[1]


def test_a_message_a_person_sent_by_hand_also_settles_it(crashed):
    desk, draft, _ = crashed
    result = desk.notifier().record(draft, "sent_by_hand", who="wang")
    assert (result.state, result.attempt) == ("sent", 2)
    assert desk.notifier().drafts()[0].state == "sent"


def test_received_names_a_draft_with_nothing_under_way(desk):
    draft = emailed(desk)
    with pytest.raises(NotifyError, match="has no delivery of unknown outcome \\(it is drafted\\)"):
        desk.notifier().record(draft, "received", who="wang")
    assert desk.payloads(SENT) == []

