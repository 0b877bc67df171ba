import argparse
import base64
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from agent.commands import contacts as command
from agent.contacts import ContactStore
from agent.journal import Journal
from agent.keys import load_or_create_key
from domain.clock import VirtualClock

DAY = 86400.0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="recoup")
    command.register(root.add_subparsers(dest="command", required=True))
    return root


def run(settings, *argv):
    args = parser().parse_args(["contacts", *argv])
    return args.func(args, settings)


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch):
    monkeypatch.delenv(command.KEY_ENV_VAR, raising=False)


@pytest.fixture
def settings(tmp_path):
    return SimpleNamespace(
        journal=SimpleNamespace(path=tmp_path / "journal.sqlite"),
        contacts=SimpleNamespace(key_file=tmp_path / "contact.key", retention_days=90, default_region="CN"),
        cases=SimpleNamespace(zone=None),
    )


@pytest.fixture
def recorded(settings):
    """A contact recorded 100 days ago, one 30 days ago and a declined answer: ages against the real
    clock the command uses, reached by starting a virtual clock in the past instead of waiting."""
    key = load_or_create_key(settings.contacts.key_file, command.KEY_ENV_VAR)
    clock = VirtualClock(start=datetime.now(UTC) - timedelta(days=100))
    with Journal.open(settings.journal.path, clock=clock) as journal:
        store = ContactStore(journal, key)
        old = store.record(consent=True, case_id="case-1", name="张三", phone="13800138000")
        clock.advance(70 * DAY)
        new = store.record(consent=True, case_id="case-2", email="zhang@example.com", channel="email")
        store.record_declined(case_id="case-3")
    return old, new


def test_list_shows_masked_contacts_only(settings, recorded, capsys):
    assert run(settings, "list") == 0
    out = capsys.readouterr().out
    assert "138****8000" in out and "张*" in out and "z***@example.com" in out
    assert "13800138000" not in out and "张三" not in out and "zhang@" not in out
    assert out.splitlines()[-1] == "3 contact(s): 2 held, 1 declined, 0 purged"


def test_list_shows_when_in_the_stores_time_zone(settings, recorded, capsys):
    old, _ = recorded
    settings.cases.zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: a date apart from most PCs'
    assert run(settings, "list") == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(old))
    at = (datetime.now(UTC) - timedelta(days=100)).astimezone(settings.cases.zone)
    assert at.strftime("%Y-%m-%d") in line


def test_list_with_the_key_in_the_environment(settings, recorded, capsys, monkeypatch):
    key = settings.contacts.key_file.read_bytes()
    settings.contacts.key_file.unlink()
    monkeypatch.setenv(command.KEY_ENV_VAR, base64.b64encode(key).decode())
    assert run(settings, "list") == 0
    assert "138****8000" in capsys.readouterr().out


def test_list_without_a_key_says_where_it_looked_and_creates_none(settings, recorded, capsys):
    settings.contacts.key_file.unlink()
    assert run(settings, "list") == 1
    err = capsys.readouterr().err
    assert f"no key file at {settings.contacts.key_file} and RECOUP_CONTACT_KEY is not set" in err
    assert not settings.contacts.key_file.exists()


def test_list_with_the_wrong_key_is_refused(settings, recorded, capsys, monkeypatch):
    monkeypatch.setenv(command.KEY_ENV_VAR, base64.b64encode(bytes(32)).decode())
    assert run(settings, "list") == 1
    assert "not the key the contacts in this journal were stored with" in capsys.readouterr().err


def test_purge_defaults_to_the_configured_retention(settings, recorded, capsys):
    assert run(settings, "purge") == 0
    assert capsys.readouterr().out == "purged 1 contact older than 90 days; 1 kept\n"
    run(settings, "list")
    assert capsys.readouterr().out.splitlines()[-1] == "3 contact(s): 1 held, 1 declined, 1 purged"


def test_purge_older_than_and_needs_no_key(settings, recorded, capsys):
    settings.contacts.key_file.unlink()
    assert run(settings, "purge", "--older-than", "2w") == 0
    assert capsys.readouterr().out == "purged 2 contacts older than 14 days; 0 kept\n"


def test_missing_journal_is_an_error_not_a_new_empty_one(settings, capsys):
    assert run(settings, "list") == 1
    assert f"no journal at {settings.journal.path}" in capsys.readouterr().err
    assert not settings.journal.path.exists()


@pytest.mark.parametrize(
    ("text", "age"),
    [("90d", timedelta(days=90)), ("12w", timedelta(weeks=12)), ("36h", timedelta(hours=36)),
     (" 7D ", timedelta(days=7))],
)
def test_age_arguments(text, age):
    assert command.parse_age(text) == age


@pytest.mark.parametrize(("age", "words"), [(timedelta(days=1), "1 day"), (timedelta(weeks=2), "14 days"),
                                            (timedelta(hours=36), "36 hours")])
def test_age_descriptions(age, words):
    assert command.describe_age(age) == words


@pytest.mark.parametrize("text", ["90", "d", "-5d", "0d", "1.5d", "90 days", "1m"])
def test_bad_ages_are_usage_errors(settings, capsys, text):
    with pytest.raises(SystemExit) as exited:
        run(settings, "purge", "--older-than", text)
    assert exited.value.code == 2
    assert "--older-than" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["purge", "--help"]])
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["contacts", *argv])
    assert exited.value.code == 0
    assert "contact" in capsys.readouterr().out
