"""`recoup cases` and `recoup followups` end to end on a journal in a temporary folder.

The commands read the wall clock, so the journal is written on a virtual clock started days before now
and advanced to just before it: nothing sleeps, and which follow-ups are overdue is certain.
"""

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.cases import OUTCOMES_BY_CHANNEL, RESOLUTIONS, CaseSettings
from agent.cases.projection import ATTEMPT_RECORDED, CLOSED
from agent.cases.schedule import to_local
from agent.commands import cases
from agent.config import ContactSettings, JournalSettings, Settings
from agent.contacts import ContactStore
from agent.journal import Journal
from agent.keys import load_or_create_key
from domain.card import MaskedPan
from domain.clock import VirtualClock
from domain.effects import OpenCase
from domain.events import record
from domain.money import Money

DAY = 86400.0
GUIDE = Path(__file__).parents[2] / "docs" / "cases.md"


def run(settings, *argv):
    parser = argparse.ArgumentParser(prog="recoup")
    cases.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args, settings)


def local(moment: datetime) -> str:
    return to_local(moment, CaseSettings()).strftime("%Y-%m-%d %H:%M")


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv(cases.KEY_ENV_VAR, raising=False)


@pytest.fixture
def settings(tmp_path):
    return Settings(journal=JournalSettings(path=tmp_path / "journal.sqlite"),
                    contacts=ContactSettings(key_file=tmp_path / "contact.key"))


def open_case(journal, case_id, case_type, sale, amount, contact_id=None):
    effect = OpenCase(case_id, case_type, (sale,), Money.parse(amount), MaskedPan.parse("622202******0007"),
                      contact_id)
    journal.append("case_opened", record(effect)[1], stream=sale)


@pytest.fixture
def history(settings):
    """Ten days ago a network drop (never followed up: overdue) and a decline whose customer left a phone
    number (tried a minute ago: due in a business day or more); a printer fault closed since."""
    start = datetime.now(UTC) - timedelta(days=10)
    clock = VirtualClock(start=start)
    key = load_or_create_key(settings.contacts.key_file, cases.KEY_ENV_VAR)
    with Journal.open(settings.journal.path, clock=clock) as journal:
        open_case(journal, "network_drop-1", "network_drop", "sale-1", "30.00")
        clock.advance(60)
        contact = ContactStore(journal, key).record(consent=True, name="张三", phone="13800138000",
                                                    channel="sms", case_id="declined-2")
        open_case(journal, "declined-2", "declined", "sale-2", "12.51", contact)
        open_case(journal, "printer_fault-3", "printer_fault", "sale-3", "8.00")
        journal.append("case_resolved", {"case_id": "printer_fault-3", "resolution": "e_receipt_sent"},
                       stream="sale-3")
        clock.advance(10 * DAY - 120)
        journal.append("notification_sent", {"case_id": "declined-2", "template": "declined_come_back",
                                             "channel": "sms", "contact_id": contact, "outcome": "sent",
                                             "attempt": 1, "who": "notifier"}, stream="declined-2")
    return {"contact": contact, "opened": start, "closed": start + timedelta(seconds=60)}


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_cases_lists_every_case_with_its_follow_up(settings, history, capsys):
    assert run(settings, "cases") == 0
    header, drop, declined, fault, summary = lines(capsys.readouterr().out)
    assert header.split() == ["ID", "TYPE", "STATE", "OPENED", "AMOUNT", "CARD", "ATTEMPTS", "NEXT", "FOLLOW-UP"]
    assert drop.startswith("network_drop-1") and drop.endswith("OVERDUE")
    assert local(history["opened"]) in drop and "CNY 30.00" in drop and "622202******0007" in drop
    assert "declined-2" in declined and "OVERDUE" not in declined and " 1 " in declined
    assert "closed" in fault and fault.split()[-1] == "-"
    assert summary == "3 case(s): 2 open (1 overdue), 1 closed"


@pytest.mark.parametrize(("options", "shown"), [
    (["--open"], ["network_drop-1", "declined-2"]),
    (["--closed"], ["printer_fault-3"]),
    (["--overdue"], ["network_drop-1"]),
    (["--type", "declined"], ["declined-2"]),
    (["--closed", "--type", "declined"], []),
])
def test_cases_filters(settings, history, capsys, options, shown):
    assert run(settings, "cases", *options) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in lines(out)[1:-1]] == shown
    if not shown:
        assert out == "no cases match\n"


def test_show_gives_the_case_and_its_attempts_with_the_contact_masked(settings, history, capsys):
    assert run(settings, "cases", "show", "declined-2") == 0
    out = capsys.readouterr().out
    assert out.startswith("case declined-2  (declined, open)\n")
    assert f"contact         {history['contact']}  张* 138****8000, prefers sms" in out
    assert "13800138000" not in out and "张三" not in out
    assert "attempts (1)" in out and "notifier" in out and "declined_come_back" in out


def test_show_without_the_contact_key_gives_the_contact_id_only(settings, history, capsys):
    settings.contacts.key_file.unlink()
    assert run(settings, "cases", "show", "declined-2") == 0
    out = capsys.readouterr().out
    assert f"contact         {history['contact']} (details not shown: no key file at" in out
    assert "138****8000" not in out


def test_attempt_records_and_reports_the_next_follow_up(settings, history, capsys, monkeypatch):
    monkeypatch.setattr(cases.getpass, "getuser", lambda: "cashier1")
    assert run(settings, "cases", "attempt", "network_drop-1", "--channel", "phone", "--outcome", "no_answer",
               "--note", "rang twice") == 0
    out = capsys.readouterr().out
    assert out.startswith("recorded phone no_answer on case network_drop-1; next follow-up: ")
    assert "OVERDUE" not in out
    with Journal.open(settings.journal.path) as journal:
        (event,) = journal.events(kind=ATTEMPT_RECORDED)
    assert (event.payload["who"], event.payload["note"], event.payload["template"]) == ("cashier1", "rang twice", None)


def test_attempt_at_an_earlier_local_time(settings, history, capsys):
    earlier = datetime.now(UTC) - timedelta(days=2)
    typed = local(earlier)
    assert run(settings, "cases", "attempt", "network_drop-1", "--channel", "in_person", "--outcome", "reached",
               "--who", "李", "--at", typed) == 0
    assert run(settings, "cases", "show", "network_drop-1") == 0
    assert [*typed.split(), "in_person", "reached", "李", "-"] in [line.split() for line in
                                                                lines(capsys.readouterr().out)]


@pytest.mark.parametrize(("argv", "message"), [
    (["attempt", "network_drop-1", "--channel", "email", "--outcome", "no_answer", "--who", "李"],
     "recoup cases: --outcome: 'no_answer' is not an outcome of a email attempt; use one of sent, failed, replied, "
     "customer_paid, refused"),
    (["attempt", "network_drop-1", "--channel", "phone", "--outcome", "reached", "--who", "李", "--note",
      "call her on 13800138000"],
     "recoup cases: --note: holds a phone number; contact details go in the customer's contact record, which the "
     "case already points to, not in a note"),
    (["attempt", "network_drop-1", "--channel", "phone", "--outcome", "reached", "--who", " "],
     "recoup cases: --who: is required and was left blank"),
    (["show", "network_drop-2"], "recoup cases: no case 'network_drop-2'; did you mean network_drop-1?"),
    (["--type", "lost"], "recoup cases: --type: 'lost' is not a case type; known: network_drop, declined, "
                         "printer_fault, wrong_card, receipt_unpaid, unsettled"),
    (["close", "printer_fault-3", "--resolution", "paid", "--who", "王"],
     "recoup cases: case printer_fault-3 is already closed: e_receipt_sent, on {closed} by counter"),
])
def test_errors_are_one_line_on_stderr_with_exit_2(settings, history, capsys, argv, message):
    assert run(settings, "cases", *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == message.format(closed=local(history["closed"])) + "\n"


def test_close_closes_once(settings, history, capsys):
    assert run(settings, "cases", "close", "network_drop-1", "--resolution", "hold_released", "--who", "王",
               "--note", "bank confirmed") == 0
    assert capsys.readouterr().out == "closed case network_drop-1: hold_released, by 王\n"
    assert run(settings, "cases", "close", "network_drop-1", "--resolution", "paid", "--who", "王") == 2
    assert "already closed: hold_released" in capsys.readouterr().err
    with Journal.open(settings.journal.path) as journal:
        assert len(list(journal.events(kind=CLOSED))) == 1


def test_followups_due_now_today_and_all(settings, history, capsys):
    assert run(settings, "followups", "--due") == 0
    out = lines(capsys.readouterr().out)
    assert [line.split()[3] for line in out[1:-1]] == ["network_drop-1"] and "OVERDUE" in out[1]
    assert out[-1] == "1 follow-up(s) due now, 1 overdue"
    assert run(settings, "followups", "--all") == 0
    out = lines(capsys.readouterr().out)
    assert [line.split()[2 if "OVERDUE" not in line else 3] for line in out[1:-1]] == ["network_drop-1", "declined-2"]
    assert "sms sent" in out[2]
    assert run(settings, "followups") == 0
    assert "due by the end of today" in capsys.readouterr().out


def test_followups_with_nothing_due(settings, history, capsys):
    assert run(settings, "cases", "close", "network_drop-1", "--resolution", "hold_released", "--who", "王") == 0
    capsys.readouterr()
    assert run(settings, "followups", "--due") == 0
    assert capsys.readouterr().out == "no follow-ups due now\n"


def test_a_missing_journal_is_an_error(settings, capsys):
    assert run(settings, "followups") == 2
    assert capsys.readouterr().err.startswith("recoup followups: no journal at ")


def test_open_and_closed_together_are_refused_by_the_parser(settings, capsys):
    with pytest.raises(SystemExit) as exited:
        run(settings, "cases", "--open", "--closed")
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_managers_guide_lists_every_channel_outcome_and_resolution():
    text = GUIDE.read_text(encoding="utf-8")
    for channel, outcomes in OUTCOMES_BY_CHANNEL.items():
        assert f"| `{channel}` | {', '.join(f'`{outcome}`' for outcome in outcomes)} |" in text, channel
    for resolution in RESOLUTIONS:
        assert f"| `{resolution}` |" in text, resolution
