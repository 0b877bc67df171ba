"""The notifier's rules with no server needed: consent, routing to a person, recorded outcomes, states,
retries on the virtual clock (against a port nobody listens on), and what the journal file holds.

The desk (tests/agent/desk.py) is shared with the email, SMS and CLI tests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.notify import FAILED, REFUSED, SENT, NotifyError
from domain.clock import VirtualClock
from tests.agent.desk import ATTEMPT_KEYS, E164, EMAIL, PAN, PHONE, Desk, down

# -- consent -----------------------------------------------------------------------------------------

def test_a_declined_contact_is_refused_and_the_reason_journaled(desk):
    draft = desk.draft(desk.contacts.record_declined(case_id="case-1"))
    result = desk.notifier(down()).send(draft, who="li")
    assert (result.state, result.reason, result.attempt) == ("refused", "declined", None)
    (refusal,) = desk.payloads(REFUSED)
    assert refusal == {"draft": draft, "case_id": "case-1", "template": "network_drop.hold_released",
                       "channel": None, "contact_id": refusal["contact_id"], "reason": "declined", "who": "li"}
    assert desk.payloads(SENT) == desk.payloads(FAILED) == []


def test_a_purged_contact_is_refused(desk):
    draft = desk.draft(desk.customer(phone=PHONE, channel="sms"))
    desk.clock.advance(timedelta(days=2).total_seconds())
    desk.contacts.purge(timedelta(days=1))
    assert desk.notifier(down()).send(draft).reason == "purged"


def test_a_draft_without_a_contact_or_with_an_unknown_one_is_refused(desk):
    notifier = desk.notifier(down())
    assert notifier.send(desk.draft(None)).reason == "no_contact"
    assert notifier.send(desk.draft("ct-nobody")).reason == "unknown_contact"
    assert notifier.preview(desk.draft(None)).refusal == "no_contact"


def test_recording_a_call_to_a_customer_who_declined_is_refused_too(desk):
    draft = desk.draft(desk.contacts.record_declined(case_id="case-1"))
    assert desk.notifier().record(draft, "reached", who="li").state == "refused"
    assert desk.payloads(SENT) == []


# -- a person does it --------------------------------------------------------------------------------

def test_a_customer_who_prefers_a_call_stays_in_the_outbox_until_the_cashier_records_it(desk):
    draft = desk.draft(desk.customer(phone=PHONE, email=EMAIL, channel="phone"))
    notifier = desk.notifier(down())
    result = notifier.send(draft)
    assert (result.state, result.channel, result.to) == ("outbox", "outbox", "138****8000")
    assert desk.payloads(SENT) == desk.payloads(FAILED) == []

    missed = notifier.record(draft, "no_answer", who="li")
    reached = notifier.record(draft, "reached", who="wang")
    assert (missed.state, missed.attempt, reached.state, reached.attempt) == ("failed", 1, "sent", 2)
    (failed,), (sent,) = desk.payloads(FAILED), desk.payloads(SENT)
    assert set(failed) == set(sent) == ATTEMPT_KEYS
    assert (sent["channel"], sent["to"], sent["outcome"], sent["who"]) == ("phone", "138****8000", "reached", "wang")
    assert notifier.next_retry_at() is None  # a person's missed call is followed up by the case, not retried


def test_wechat_and_an_unconfigured_email_go_to_a_person(desk):
    notifier = desk.notifier()  # the defaults: outbox only
    wechat = notifier.preview(desk.draft(desk.customer(wechat_id="zhangsan_88", channel="wechat")))
    email = notifier.preview(desk.draft(desk.customer(email=EMAIL, channel="email")))
    assert (wechat.channel, wechat.to, wechat.preferred) == ("outbox", "zh***88", "wechat")
    assert (email.channel, email.to, email.subject) == ("outbox", "z***@example.com", None)


def test_asking_for_a_channel_that_cannot_be_used_is_an_error_and_journals_nothing(desk):
    email_only = desk.draft(desk.customer(email=EMAIL, channel="email"))
    with pytest.raises(NotifyError, match="email is not configured"):
        desk.notifier().send(email_only, "email")
    with pytest.raises(NotifyError, match="no phone number"):
        desk.notifier(down()).send(email_only, "sms")
    with pytest.raises(NotifyError, match="cannot send by 'fax'"):
        desk.notifier().send(email_only, "fax")
    with pytest.raises(NotifyError, match="unknown outcome"):
        desk.notifier().record(email_only, "shouted", who="li")
    assert desk.payloads(SENT) == desk.payloads(FAILED) == desk.payloads(REFUSED) == []


def test_a_sent_draft_is_not_sent_again(desk):
    draft = desk.draft(desk.customer(phone=PHONE))
    notifier = desk.notifier()
    notifier.record(draft, "sent_by_hand", who="li", channel="sms")
    with pytest.raises(NotifyError, match="already sent"):
        notifier.send(draft)


def test_an_unknown_draft_is_named(desk):
    desk.customer(phone=PHONE)
    with pytest.raises(NotifyError, match="no notification draft 1"):
        desk.notifier().preview(1)  # seq 1 is the contact, not a draft
    with pytest.raises(NotifyError, match="no notification draft 99"):
        desk.notifier().send(99)


# -- retries -----------------------------------------------------------------------------------------

def test_failures_are_retried_after_1_5_and_30_minutes_then_given_up(desk):
    draft = desk.draft(desk.customer(email=EMAIL, channel="email"))
    notifier = desk.notifier(down())
    start = desk.clock.now()
    first = notifier.send(draft)
    assert (first.state, first.outcome, first.attempt) == ("failed", "failed", 1)
    assert "cannot reach the SMTP server" in first.error and first.retry_at == start + timedelta(minutes=1)

    seen = []
    for minutes in (1, 5, 30):
        desk.clock.advance(minutes * 60 - 1)
        assert notifier.retry_due() == []  # not yet
        desk.clock.advance(1)
        (result,) = notifier.retry_due()
        seen.append((result.attempt, result.outcome))
    assert seen == [(2, "failed"), (3, "failed"), (4, "failed_final")]
    desk.clock.advance(86400)
    assert notifier.retry_due() == [] and notifier.next_retry_at() is None
    assert [p["attempt"] for p in desk.payloads(FAILED)] == [1, 2, 3, 4]
    assert all(set(p) == ATTEMPT_KEYS | {"error"} and p["who"] == "agent" for p in desk.payloads(FAILED))
    (row,) = notifier.drafts()
    assert (row.state, row.attempts, row.retry_at, row.to) == ("failed", 4, None, "z***@example.com")


def test_a_pending_retry_survives_a_restart(tmp_path):
    clock = VirtualClock()
    first = Desk(tmp_path / "journal.sqlite", clock)
    settings = down()
    first.notifier(settings).send(first.draft(first.customer(email=EMAIL, channel="email")))
    due = first.notifier(settings).next_retry_at()
    first.journal.close()

    again = Desk(tmp_path / "journal.sqlite", clock)
    assert again.notifier(settings).next_retry_at() == due == clock.now() + timedelta(minutes=1)
    clock.advance(60)
    assert [result.attempt for result in again.notifier(settings).retry_due()] == [2]
    again.journal.close()


def test_a_manual_record_takes_the_draft_out_of_automatic_retries(desk):
    draft = desk.draft(desk.customer(phone=PHONE, channel="sms"))
    notifier = desk.notifier(down())
    assert notifier.send(draft).outcome == "failed"
    notifier.record(draft, "reached", who="li", channel="phone")
    desk.clock.advance(3600)
    assert notifier.retry_due() == [] and notifier.drafts()[0].state == "sent"


def test_a_retry_whose_channel_was_switched_off_gives_up_saying_why(desk):
    draft = desk.draft(desk.customer(email=EMAIL, channel="email"))
    desk.notifier(down()).send(draft)
    desk.clock.advance(60)
    (result,) = desk.notifier().retry_due()
    assert (result.outcome, result.error) == ("failed_final", "email is not configured (smtp_host and smtp_from "
                                                              "in the notify settings)")


def test_list_states(desk):
    notifier = desk.notifier(down())
    drafted = desk.draft(desk.customer(phone=PHONE))
    failed = desk.draft(desk.customer(email=EMAIL, channel="email"))
    refused = desk.draft(None)
    notifier.send(failed)
    notifier.send(refused)
    rows = {row.draft_id: row for row in notifier.drafts()}
    assert [rows[d].state for d in (drafted, failed, refused)] == ["drafted", "failed", "refused"]
    assert rows[failed].retry_at == desk.clock.now() + timedelta(minutes=1)
    assert (rows[drafted].channel, rows[drafted].to) == ("outbox", "138****8000")


# -- nothing in clear at rest ------------------------------------------------------------------------

def test_the_journal_file_holds_no_contact_detail_or_card_number_in_clear(desk):
    notifier = desk.notifier(down())
    drafts = [desk.draft(desk.customer(name="张三", phone=PHONE, email=EMAIL, channel=channel))
              for channel in ("email", "sms", "phone")]
    for draft in drafts:
        notifier.send(draft)
    notifier.record(drafts[2], "no_answer", who="li")
    desk.clock.advance(60)
    assert len(notifier.retry_due()) == 2
    assert [p["channel"] for p in desk.payloads(FAILED)] == ["email", "sms", "phone", "email", "sms"]
    data = desk.file_bytes()
    for clear in (PHONE, E164, EMAIL, "zhang.san", "张三", PAN):
        assert clear.encode() not in data, clear
    assert b"138****8000" in data and b"z***@example.com" in data
