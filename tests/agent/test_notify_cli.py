"""`recoup outbox` list / show / send / record / retry, from a parser built here as the CLI builds it."""

from __future__ import annotations

import argparse
import base64
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from agent.commands import outbox
from agent.commands.contacts import KEY_ENV_VAR
from agent.notify import NotifySettings
from domain.clock import VirtualClock
from tests.agent.desk import E164, EMAIL, KEY, PHONE, CrashingRelay, Desk, down, mail_relay


def run(settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="recoup")
    sub = parser.add_subparsers(dest="command", required=True)
    outbox.register(sub)
    args = parser.parse_args(["outbox", *argv])
    return args.func(args, settings)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV_VAR, base64.b64encode(KEY).decode())
    return SimpleNamespace(journal=SimpleNamespace(path=tmp_path / "journal.sqlite"),
                           contacts=SimpleNamespace(key_file=tmp_path / "contact.key", default_region="CN"),
                           cases=SimpleNamespace(zone=None),
                           notify=down())


@pytest.fixture
def drafts(settings):
    """Three drafts: a customer to call, one to email (at a relay that is down) and a case with no contact."""
    desk = Desk(settings.journal.path)
    ids = (desk.draft(desk.customer(phone=PHONE, email=EMAIL, channel="phone")),
           desk.draft(desk.customer(phone=PHONE, email=EMAIL, channel="email"), template="wrong_card.refund"),
           desk.draft(None, case_id="case-2"))
    desk.journal.close()
    return ids


@pytest.fixture
def output(capsys):
    """What the commands printed; every line checked for contact details in clear."""
    def read() -> tuple[str, str]:
        captured = capsys.readouterr()
        for clear in (PHONE, E164, EMAIL, "zhang.san"):
            assert clear not in captured.out + captured.err
        return captured.out, captured.err
    return read


def test_show_prints_the_exact_message_before_sending(settings, drafts, output):
    call, mail, _ = drafts
    assert run(settings, "show", str(mail)) == 0
    out, _ = output()
    assert f"draft {mail} · case case-1 · wrong_card.refund · drafted" in out
    assert "to: email z***@example.com" in out
    assert "subject: 刷错卡的处理结果 / About the card charged by mistake" in out
    assert "已办理退货" in out and "has been refunded" in out and out.index("已办理退货") < out.index("refunded")
    assert run(settings, "show", str(call)) == 0
    assert "by hand: the customer prefers phone (138****8000)" in output()[0]


def test_send_by_hand_record_and_list(settings, drafts, output):
    call, mail, nobody = drafts
    assert run(settings, "send", str(call)) == 0
    assert f"stays in the outbox for a person to do: call or send it by hand to 138****8000, then `recoup " \
           f"outbox record {call} --outcome reached`" in output()[0]
    assert run(settings, "record", str(call), "--outcome", "reached", "--who", "li") == 0
    assert output()[0] == f"recorded draft {call}: reached by phone 138****8000 (attempt 1, li)\n"

    assert run(settings, "send", str(mail), "--who", "li") == 1
    out, _ = output()
    assert f"draft {mail} not sent by email to z***@example.com: cannot reach the SMTP server" in out
    assert "next try at" in out
    assert run(settings, "send", str(nobody)) == 1
    assert output()[0] == f"draft {nobody} not sent: no contact was recorded for this case\n"

    assert run(settings, "list") == 0
    lines = output()[0].splitlines()
    assert lines[-1] == "3 draft(s): 0 drafted, 1 sent, 1 failed, 1 refused, 0 unknown"
    assert "sent" in lines[0] and "phone" in lines[0] and "1 try" in lines[0]
    assert "failed" in lines[1] and "z***@example.com" in lines[1] and "1 try, next" in lines[1]
    assert "refused" in lines[2] and "case-2" in lines[2]


def test_retry_says_when_the_next_one_is_due(settings, drafts, output):
    assert run(settings, "retry") == 0
    assert output()[0] == "no retries pending\n"
    run(settings, "send", str(drafts[1]))
    output()
    assert run(settings, "retry") == 0
    assert output()[0].startswith("next retry at ")


def test_without_notify_settings_everything_goes_to_a_person(settings, drafts, output):
    settings.notify = NotifySettings()  # what an empty [notify] section gives: the outbox only
    assert run(settings, "send", str(drafts[1])) == 0
    assert "stays in the outbox" in output()[0]
    assert run(settings, "send", str(drafts[1]), "--channel", "email") == 1
    assert "email is not configured" in output()[1]


def test_errors_are_one_line_on_stderr(settings, drafts, output, monkeypatch):
    assert run(settings, "show", "999") == 1
    assert output()[1] == "recoup outbox: there is no notification draft 999; `recoup outbox list` shows the drafts\n"
    monkeypatch.delenv(KEY_ENV_VAR)
    assert run(settings, "list") == 1
    assert "no key file" in output()[1]
    settings.journal.path = settings.journal.path.with_name("missing.sqlite")
    assert run(settings, "list") == 1
    assert "no journal at" in output()[1]


@pytest.fixture
def unknown(settings):
    """A draft e-mailed by an agent that stopped the moment the relay took the message: the journal it left is
    the command's. (The draft's id, the relay.)"""
    desk = Desk(settings.journal.path.with_name("agent.sqlite"))
    draft = desk.draft(desk.customer(email=EMAIL, channel="email"))
    relay = CrashingRelay(desk.path, settings.journal.path)
    with mail_relay(relay) as relay_settings:
        desk.notifier(relay_settings).send(draft)
    desk.journal.close()
    return draft, relay


def test_a_draft_that_may_have_reached_the_customer_is_not_sent_without_again(settings, unknown, output):
    draft, relay = unknown
    assert run(settings, "list") == 0
    out, _ = output()
    assert " unknown  email   z***@example.com       1 try" in out
    assert out.splitlines()[-1] == "1 draft(s): 0 drafted, 0 sent, 0 failed, 0 refused, 1 unknown"
    assert run(settings, "show", str(draft)) == 0
    assert f"may have reached the customer: `recoup outbox record {draft} --outcome received`" in output()[0]

    assert run(settings, "send", str(draft)) == 1
    out, err = output()
    assert out == "" and err.startswith(f"recoup outbox: draft {draft} may have reached the customer: attempt 1 by "
                                        f"email to z***@example.com (agent, ")
    assert err.endswith(f"Check with the customer, then record what they say: `recoup outbox record {draft} "
                        f"--outcome received` (or not_received); or send it again on purpose: `recoup outbox "
                        f"send {draft} --again`\n")
    assert run(settings, "retry") == 0 and output()[0] == "no retries pending\n"
    with mail_relay(relay) as relay_settings:
        settings.notify = relay_settings
        assert run(settings, "send", str(draft), "--again", "--who", "wang") == 0
    assert output()[0] == f"sent draft {draft} by email to z***@example.com (attempt 2)\n"
    assert len(relay.messages) == 2


def test_recording_what_the_customer_said_closes_it(settings, unknown, output):
    draft, _ = unknown
    assert run(settings, "record", str(draft), "--outcome", "received", "--who", "wang") == 0
    assert output()[0] == f"recorded draft {draft}: received by email z***@example.com (attempt 1, wang)\n"
    assert run(settings, "send", str(draft), "--again") == 1
    assert "was already sent" in output()[1]


def test_the_outcome_must_be_one_a_person_can_record(settings, drafts, capsys):
    with pytest.raises(SystemExit):
        run(settings, "record", str(drafts[0]), "--outcome", "delivered")
    assert "invalid choice" in capsys.readouterr().err
    assert run(settings, "record", str(drafts[0]), "--outcome", "received") == 1
    assert "has no delivery of unknown outcome (it is drafted)" in capsys.readouterr().err


def test_every_subcommand_has_help(capsys):
    for command in ("list", "show", "send", "record", "retry"):
        with pytest.raises(SystemExit):
            run(SimpleNamespace(notify=NotifySettings()), command, "--help")
        assert "usage: recoup outbox" in capsys.readouterr().out


def test_list_shows_when_in_the_stores_time_zone(settings, drafts, output):
    settings.cases.zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: the drafts' time and date as the store reads them
    assert run(settings, "list") == 0
    drafted = VirtualClock().now().astimezone(settings.cases.zone).strftime("%Y-%m-%d %H:%M")
    assert all(drafted in line for line in output()[0].splitlines()[:3])
