"""The case store over a real journal: the projection, filters, contact attempts, closing, and errors.

Cases are opened and resolved with the payloads the counter journals (built from the flows' own effects);
time moves on a virtual clock that starts on Monday 2026-01-05 at 10:00 in Shanghai.
"""

from datetime import UTC, datetime, timedelta

import pytest

from agent.cases import CaseAlreadyClosed, CaseInputError, CaseNotFound, CaseSettings, CaseStore
from agent.cases.projection import ATTEMPT_RECORDED, CLOSED
from agent.journal import Journal
from domain.card import MaskedPan
from domain.clock import VirtualClock
from domain.effects import EscalateToManager, OpenCase, ResolveCase
from domain.events import record
from domain.money import Money

HOUR = 3600.0
DAY = 24 * HOUR
MONDAY_10 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
SETTINGS = CaseSettings(timezone="Asia/Shanghai")
MASKED = "411111******1111"


@pytest.fixture
def clock():
    return VirtualClock(start=MONDAY_10)


@pytest.fixture
def journal(tmp_path, clock):
    with Journal.open(tmp_path / "journal.sqlite", clock=clock) as journal:
        yield journal


@pytest.fixture
def store(journal, clock):
    return CaseStore(journal, clock, SETTINGS)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def open_case(journal, case_id="network_drop-1", case_type="network_drop", sale="sale-1", amount="30.00",
              contact_id=None):
    """Journal a case as the counter does: the OpenCase effect's safe form, on the sale's stream."""
    effect = OpenCase(case_id, case_type, (sale,), Money.parse(amount), MaskedPan.parse(MASKED), contact_id)
    journal.append("case_opened", record(effect)[1], stream=sale)


def resolve_case(journal, case_id, resolution="hold_released"):
    journal.append("case_resolved", record(ResolveCase(case_id, resolution))[1], stream="sale-1")


def notification(journal, case_id, kind="notification_sent", outcome="sent", channel="sms", attempt=1):
    journal.append(kind, {"case_id": case_id, "template": "hold_released", "channel": channel,
                          "contact_id": "ct-x", "outcome": outcome, "attempt": attempt, "who": "notifier"},
                   stream=case_id)


def tables(journal):
    return {table: journal.query(f"SELECT * FROM {table} ORDER BY 1")
            for table in ("cases", "case_attempts", "case_escalations")}


# -- the projection ------------------------------------------------------------------------------------

def test_the_projection_rebuilt_from_the_events_equals_the_live_one(journal, store, clock):
    escalation = EscalateToManager("declined-2", "host_response_05", None)
    journal.append("escalated", record(escalation)[1], stream="sale-2")  # before its case exists
    open_case(journal)
    open_case(journal, "declined-2", "declined", "sale-2", "12.51")
    journal.append("contact_recorded", {"contact_id": "ct-late", "case_id": "declined-2", "declined": True,
                                        "consent": False}, stream="declined-2")
    clock.advance(HOUR)
    store.record_attempt("network_drop-1", channel="phone", outcome="no_answer", who="李", note="will try later")
    notification(journal, "network_drop-1")
    notification(journal, "declined-2", "notification_failed", "failed", "email")
    open_case(journal, "network_drop-1", sale="sale-9")  # the same case linking another sale
    resolve_case(journal, "network_drop-1")
    store.close("declined-2", resolution="written_off", who="王", note="customer unreachable")
    live = tables(journal)
    journal.rebuild_projections()
    assert tables(journal) == live
    assert [row[0] for row in live["cases"]] == ["declined-2", "network_drop-1"]
    assert len(live["case_attempts"]) == 3 and len(live["case_escalations"]) == 1


def test_a_case_opened_by_the_counter_is_open_with_its_first_follow_up(journal, store):
    open_case(journal, contact_id="ct-abc")
    case = store.get("network_drop-1")
    assert (case.case_type, case.state, case.sale_ids, case.amount, case.masked, case.contact_id) == \
        ("network_drop", "open", ("sale-1",), Money(3000), MASKED, "ct-abc")
    assert case.opened_at == MONDAY_10
    assert case.next_followup == shanghai(2026, 1, 5, 12, 0) and not case.overdue
    assert case.attempts == () and case.resolution is None and case.closed_at is None


def test_a_case_opened_again_adds_its_sale_and_keeps_its_contact(journal, store):
    open_case(journal, contact_id="ct-abc")
    open_case(journal, sale="sale-2")
    case = store.get("network_drop-1")
    assert case.sale_ids == ("sale-1", "sale-2") and case.contact_id == "ct-abc"


def test_a_contact_left_after_the_case_opened_belongs_to_it(journal, store):
    open_case(journal)
    journal.append("contact_recorded", {"contact_id": "ct-later", "case_id": "network_drop-1", "declined": True,
                                        "consent": False}, stream="network_drop-1")
    assert store.get("network_drop-1").contact_id == "ct-later"


def test_escalations_are_kept_even_when_they_come_before_the_case(journal, store, clock):
    journal.append("escalated", record(EscalateToManager("declined-2", "host_response_05", None))[1])
    clock.advance(60)
    open_case(journal, "declined-2", "declined", "sale-2")
    (escalation,) = store.get("declined-2").escalations
    assert escalation.reason == "host_response_05" and escalation.at == MONDAY_10


# -- listing -------------------------------------------------------------------------------------------

@pytest.fixture
def three_cases(journal, store, clock):
    open_case(journal, "network_drop-1", "network_drop", "sale-1")
    clock.advance(HOUR)
    open_case(journal, "declined-2", "declined", "sale-2")
    open_case(journal, "printer_fault-3", "printer_fault", "sale-3")
    store.close("printer_fault-3", resolution="no_action_needed", who="王")
    clock.advance(1.5 * HOUR)  # 12:30: the first case's follow-up (12:00) has passed, the second's (13:00) not


def ids(rows):
    return [row.case_id for row in rows]


def test_cases_list_oldest_first_with_every_filter(store, three_cases):
    assert ids(store.list()) == ["network_drop-1", "declined-2", "printer_fault-3"]
    assert ids(store.list(state="open")) == ["network_drop-1", "declined-2"]
    assert ids(store.list(state="closed")) == ["printer_fault-3"]
    assert ids(store.list(overdue=True)) == ["network_drop-1"]
    assert ids(store.list(case_type="declined")) == ["declined-2"]
    assert ids(store.list(state="closed", case_type="declined")) == []
    assert store.list(case_type="wrong_card") == []  # a known type with no cases yet is no typo


def test_a_row_carries_what_the_table_shows(store, three_cases):
    first, second, closed = store.list()
    assert (first.amount, first.masked, first.attempts, first.overdue) == (Money(3000), MASKED, 0, True)
    assert first.next_followup == shanghai(2026, 1, 5, 12, 0)
    assert second.next_followup == shanghai(2026, 1, 5, 13, 0) and not second.overdue
    assert closed.next_followup is None and not closed.overdue


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"state": "pending"}, "state"),
    ({"case_type": "lost_receipt"}, "case_type"),
])
def test_a_bad_filter_is_refused_naming_it(store, three_cases, kwargs, field):
    with pytest.raises(CaseInputError) as caught:
        store.list(**kwargs)
    assert caught.value.field == field


def test_follow_ups_are_the_open_cases_by_due_time(store, three_cases, clock):
    assert ids(store.followups()) == ["network_drop-1", "declined-2"]
    assert ids(store.followups(until=clock.now())) == ["network_drop-1"]
    store.record_attempt("network_drop-1", channel="phone", outcome="reached", who="李")
    assert ids(store.followups()) == ["declined-2", "network_drop-1"]  # tried now: tomorrow 12:30


# -- contact attempts ----------------------------------------------------------------------------------

def test_an_attempt_is_journaled_and_moves_the_follow_up(journal, store, clock):
    open_case(journal)
    clock.advance(3 * HOUR)  # 13:00, overdue since 12:00
    assert store.get("network_drop-1").overdue
    case = store.record_attempt("network_drop-1", channel="phone", outcome="left_message", who=" 李 ",
                                template="hold_released", note="asked  to call back")
    (event,) = journal.events(kind=ATTEMPT_RECORDED)
    assert event.stream == "network_drop-1"
    assert event.payload == {"case_id": "network_drop-1", "channel": "phone", "outcome": "left_message", "who": "李",
                             "template": "hold_released", "note": "asked to call back",
                             "attempted_at": "2026-01-05T05:00:00+00:00"}
    (attempt,) = case.attempts
    assert (attempt.channel, attempt.outcome, attempt.who, attempt.source) == \
        ("phone", "left_message", "李", ATTEMPT_RECORDED)
    assert case.next_followup == shanghai(2026, 1, 6, 13, 0) and not case.overdue


def test_notifications_sent_or_failed_count_as_attempts(journal, store, clock):
    open_case(journal)
    clock.advance(HOUR)
    notification(journal, "network_drop-1", "notification_failed", "failed", "email")
    clock.advance(HOUR)
    notification(journal, "network_drop-1", attempt=2)
    case = store.get("network_drop-1")
    assert [(a.channel, a.outcome, a.who, a.template, a.source) for a in case.attempts] == [
        ("email", "failed", "notifier", "hold_released", "notification_failed"),
        ("sms", "sent", "notifier", "hold_released", "notification_sent")]
    assert case.next_followup == shanghai(2026, 1, 6, 12, 0)
    assert store.list()[0].attempts == 2


def test_an_attempt_made_earlier_is_placed_at_its_time(journal, store, clock):
    open_case(journal)
    clock.advance(5 * HOUR)
    notification(journal, "network_drop-1")  # 15:00
    earlier = MONDAY_10 + timedelta(hours=1)
    case = store.record_attempt("network_drop-1", channel="in_person", outcome="reached", who="李", at=earlier)
    assert [a.at for a in case.attempts] == [earlier, MONDAY_10 + timedelta(hours=5)]
    assert case.next_followup == shanghai(2026, 1, 6, 15, 0)  # from the latest attempt


def test_a_closed_case_still_takes_attempts_but_has_no_follow_up(journal, store):
    open_case(journal)
    resolve_case(journal, "network_drop-1")
    case = store.record_attempt("network_drop-1", channel="outbox", outcome="sent", who="李")
    assert len(case.attempts) == 1 and case.next_followup is None and not case.overdue


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"channel": "fax"}, "channel", "phone, sms, email, wechat, in_person, outbox"),
    ({"channel": " "}, "channel", "required"),
    ({"outcome": "sent"}, "outcome", "not an outcome of a phone attempt"),
    ({"outcome": None}, "outcome", "must be text"),
    ({"who": ""}, "who", "required"),
    ({"who": "x" * 65}, "who", "at most 64"),
    ({"note": "n" * 501}, "note", "at most 500"),
    ({"note": "her number is 138 0013 8000"}, "note", "phone number"),
    ({"note": "wrote to zhang@example.com"}, "note", "e-mail address"),
    ({"note": "card 4111 1111 1111 1111"}, "note", "card number"),
    ({"at": datetime(2026, 1, 5, 10, 0)}, "at", "timezone-aware"),
    ({"at": MONDAY_10 + timedelta(minutes=1)}, "at", "in the future"),
    ({"at": MONDAY_10 - timedelta(minutes=1)}, "at", "before the case was opened"),
])
def test_a_bad_attempt_is_refused_naming_the_field_and_nothing_is_journaled(journal, store, kwargs, field, words):
    open_case(journal)
    attempt = {"channel": "phone", "outcome": "no_answer", "who": "李"} | kwargs
    with pytest.raises(CaseInputError) as caught:
        store.record_attempt("network_drop-1", **attempt)
    assert caught.value.field == field and words in str(caught.value)
    assert "4111" not in str(caught.value) and "8000" not in str(caught.value) and "zhang" not in str(caught.value)
    assert list(journal.events(kind=ATTEMPT_RECORDED)) == []


# -- closing -------------------------------------------------------------------------------------------

def test_closing_journals_who_and_how_and_ends_the_follow_ups(journal, store, clock):
    open_case(journal)
    clock.advance(4 * HOUR)
    case = store.close("network_drop-1", resolution="paid_otherwise", who="王", note="paid in cash")
    (event,) = journal.events(kind=CLOSED)
    assert event.payload == {"case_id": "network_drop-1", "resolution": "paid_otherwise", "who": "王",
                             "note": "paid in cash"}
    assert (case.state, case.resolution, case.closed_by, case.close_note) == \
        ("closed", "paid_otherwise", "王", "paid in cash")
    assert case.closed_at == clock.now() and case.next_followup is None and not case.overdue


def test_the_counter_resolving_a_case_closes_it(journal, store):
    open_case(journal)
    resolve_case(journal, "network_drop-1")
    case = store.get("network_drop-1")
    assert (case.state, case.resolution, case.closed_by) == ("closed", "hold_released", "counter")


def test_closing_a_closed_case_names_how_and_when_it_was_closed(journal, store, clock):
    open_case(journal)
    clock.advance(HOUR)
    resolve_case(journal, "network_drop-1")
    clock.advance(HOUR)
    with pytest.raises(CaseAlreadyClosed, match=r"network_drop-1 is already closed: hold_released, on "
                                                r"2026-01-05 11:00 by counter"):
        store.close("network_drop-1", resolution="paid", who="王")
    assert list(journal.events(kind=CLOSED)) == []


def test_a_resolution_outside_the_list_is_refused(journal, store):
    open_case(journal)
    with pytest.raises(CaseInputError, match="resolution: 'sorted' is not a resolution; use one of paid,"):
        store.close("network_drop-1", resolution="sorted", who="王")


# -- unknown cases -------------------------------------------------------------------------------------

def test_an_unknown_case_suggests_the_near_ones(journal, store):
    open_case(journal, "network_drop-12")
    with pytest.raises(CaseNotFound) as caught:
        store.get("network_drop-21")
    assert isinstance(caught.value, KeyError) and caught.value.case_id == "network_drop-21"
    assert str(caught.value) == "no case 'network_drop-21'; did you mean network_drop-12?"


def test_an_unknown_case_lists_the_open_ones_when_none_is_near(journal, store):
    for number in range(7):
        open_case(journal, f"declined-{number}", "declined", f"sale-{number}")
    with pytest.raises(CaseNotFound, match=r"no case 'zzz'; open cases: declined-0, declined-1, declined-2, "
                                           r"declined-3, declined-4, …$"):
        store.record_attempt("zzz", channel="phone", outcome="reached", who="李")


def test_an_unknown_case_says_when_none_is_open(store):
    with pytest.raises(CaseNotFound, match=r"^no case 'declined-1', and no cases are open$"):
        store.close("declined-1", resolution="paid", who="王")


def test_a_blank_case_id_is_refused_as_such(store):
    with pytest.raises(CaseInputError, match=r"^case_id: is required and was left blank$"):
        store.get("  ")
