"""The evidence package of a case the real counter opened (刷错卡: the wrong card voided, the right one
charged, the customer's details left at the counter), built through the API and through `recoup cases
evidence`, and searched byte by byte for anything it must not hold."""

import argparse
import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.cases import CaseNotFound, CaseStore
from agent.commands import cases
from agent.config import ContactSettings, JournalSettings, Settings
from agent.contacts import ContactStore
from agent.evidence import build_evidence
from agent.journal import Journal
from domain.card import MaskedPan
from domain.clock import VirtualClock
from domain.effects import OpenCase
from domain.events import record
from domain.money import Money
from simulator.cardreader.wallet import WALLET
from simulator.printer.picture import find_fonts
from tests.agent.rig import run

KEY = b"k" * 32
NAME, PHONE, EMAIL = "张伟", "13800138000", "zhang@example.com"
BUILT = datetime(2026, 1, 6, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """(journal path, case id, contact id, the sales) of one wrong-card case, played once for the module."""
    folder = tmp_path_factory.mktemp("counter")
    found = {}

    async def scenario(rig):
        sale = rig.sale("58.00", "visa")
        await rig.until(lambda: bool(rig.receipts(sale)), jump=True)
        case_id = rig.counter.report_wrong_card(sale)
        rig.counter.act(case_id, "confirm_wrong_card")
        await rig.until(lambda: rig.prompt_of(case_id) == "wrong_card.cancelled_void", jump=True)
        rig.counter.act(case_id, "another_card")
        right = f"{sale}-right"
        rig.swipe("mastercard")
        await rig.until(lambda: bool(rig.receipts(right)), jump=True)
        contact = ContactStore(rig.journal, KEY).record(consent=True, name=NAME, phone=PHONE, email=EMAIL,
                                                        channel="sms", case_id=case_id)
        rig.counter.act(case_id, "contact_saved", contact_id=contact)
        CaseStore(rig.journal, rig.clock).record_attempt(case_id, channel="phone", outcome="reached", who="李",
                                                         note="told the refund of the first card shows in days")
        found.update(case_id=case_id, contact_id=contact, sales=(sale, right))

    run(folder, scenario)
    return folder / "j.sqlite", found["case_id"], found["contact_id"], found["sales"]


@pytest.fixture
def journal(recorded):
    with Journal.open(recorded[0]) as opened:
        yield opened


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_the_case_the_journal_and_every_receipt_with_their_hashes(recorded, journal, tmp_path):
    _, case_id, contact_id, (sale, right) = recorded
    out = build_evidence(journal, case_id, tmp_path / "case.zip", now=BUILT)
    assert out == tmp_path / "case.zip" and [p.name for p in tmp_path.iterdir()] == ["case.zip"]
    files = members(out)
    receipts = {name.removeprefix("receipts/").rsplit(".", 1)[0] for name in files if name.startswith("receipts/")}
    assert len(receipts) == 3  # the wrong card's receipt, the contact slip, the right card's receipt
    assert set(files) == {"case.json", "journal.json", "README.txt", "manifest.json"} | {
        f"receipts/{receipt}.{suffix}" for receipt in receipts for suffix in ("bin", "txt", "png")}

    manifest = json.loads(files["manifest.json"])
    assert (manifest["case_id"], manifest["built_at"], manifest["contact_details_included"]) == \
        (case_id, "2026-01-06T09:30:00+00:00", False)
    assert sorted(manifest["receipts"]) == sorted(receipts)
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest() and entry["bytes"] == len(files[name])

    case = json.loads(files["case.json"])
    assert (case["case_id"], case["type"], case["sale_ids"], case["amount"], case["masked_card"],
            case["contact_id"]) == (case_id, "wrong_card", [sale], {"minor": 5800, "currency": "CNY"},
                                    "411111******1111", contact_id)
    assert case["opened_at"].endswith("+00:00") and case["resolution"] == "voided"
    [attempt] = case["attempts"]
    assert (attempt["channel"], attempt["outcome"], attempt["who"], attempt["source"]) == \
        ("phone", "reached", "李", "contact_attempt_recorded")

    events = json.loads(files["journal.json"])
    assert manifest["journal_events"] == len(events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert {e["stream"] for e in events} == {case_id, sale, right}
    assert {"sale_started", "host_request", "receipt_to_print", "case_opened", "contact_recorded",
            "contact_attempt_recorded"} <= {e["kind"] for e in events}
    assert all(e["at"].endswith("+00:00") for e in events)

    wrong = next(r for r in receipts if r.startswith(f"{sale}-0"))
    text = files[f"receipts/{wrong}.txt"].decode()
    assert "CNY 58.00" in text and "411111******1111" in text and "TERM0001" in text
    right_text = files[f"receipts/{next(r for r in receipts if r.startswith(right))}.txt"].decode()
    assert str(WALLET["mastercard"].masked) in right_text and "CNY 58.00" in right_text
    assert files[f"receipts/{wrong}.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert files[f"receipts/{wrong}.bin"].startswith(b"\x1b@")  # ESC @, as the printer was sent it

    readme = files["README.txt"].decode()
    assert find_fonts().describe() in readme and "re-rendered" in readme
    assert "NOT included" in readme


def test_without_the_flag_no_byte_of_the_package_holds_a_contact_detail_or_a_card_number(recorded, journal,
                                                                                          tmp_path):
    _, case_id, _, _ = recorded
    out = build_evidence(journal, case_id, tmp_path / "case.zip")
    forbidden = [PHONE.encode(), EMAIL.encode(), NAME.encode(), *(card.pan.encode() for card in WALLET.values())]
    assert b"4111111111111111" in forbidden
    raw = out.read_bytes()
    for data in (raw, *members(out).values()):
        for secret in forbidden:
            assert secret not in data


def test_with_the_flag_the_contact_details_are_included_in_clear(recorded, journal, tmp_path):
    _, case_id, contact_id, _ = recorded
    out = build_evidence(journal, case_id, tmp_path / "case.zip", contacts=ContactStore(journal, KEY),
                         include_contact=True)
    files = members(out)
    contact = json.loads(files["contact.json"])
    assert (contact["contact_id"], contact["status"], contact["name"], contact["email"], contact["channel"],
            contact["consent"]) == (contact_id, "held", NAME, EMAIL, "sms", True)
    assert contact["phone"].endswith(PHONE)
    manifest = json.loads(files["manifest.json"])
    assert manifest["contact_details_included"] is True
    assert "contact.json" in {entry["name"] for entry in manifest["files"]}
    assert "ARE included" in files["README.txt"].decode()


def test_with_the_flag_a_declined_contact_is_said_so_and_no_receipts_are_said_so_too(tmp_path):
    with Journal.open(tmp_path / "j.sqlite", clock=VirtualClock(BUILT)) as journal:
        contacts = ContactStore(journal, KEY)
        declined = contacts.record_declined("declined-1")
        effect = OpenCase("declined-1", "declined", ("sale-1",), Money.parse("12.51"),
                          MaskedPan.parse("622202******0007"), declined)
        journal.append("case_opened", record(effect)[1], stream="sale-1")
        files = members(build_evidence(journal, "declined-1", tmp_path / "case.zip", contacts=contacts,
                                       include_contact=True))
    assert json.loads(files["contact.json"]) == {"contact_id": declined, "status": "declined", "consent": False,
                                                 "recorded_at": "2026-01-06T09:30:00+00:00"}
    assert json.loads(files["manifest.json"])["contact_details_included"] is False
    readme = files["README.txt"].decode()
    assert "contact.json says why there are none" in readme and "no receipts" in readme


def test_the_flag_without_a_contact_store_is_refused_before_anything_is_written(recorded, journal, tmp_path):
    with pytest.raises(ValueError, match="include_contact needs a ContactStore"):
        build_evidence(journal, recorded[1], tmp_path / "case.zip", include_contact=True)
    assert not list(tmp_path.iterdir())


def test_an_unknown_case_raises_the_case_stores_error(recorded, journal, tmp_path):
    with pytest.raises(CaseNotFound, match="no case 'wrong_card-99'"):
        build_evidence(journal, "wrong_card-99", tmp_path / "case.zip")
    assert not list(tmp_path.iterdir())


# -- recoup cases evidence -------------------------------------------------------------------------------

def cli(settings, *argv):
    parser = argparse.ArgumentParser(prog="recoup")
    cases.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args, settings)


@pytest.fixture
def settings(recorded, tmp_path, monkeypatch):
    monkeypatch.delenv(cases.KEY_ENV_VAR, raising=False)
    return Settings(journal=JournalSettings(path=recorded[0]),
                    contacts=ContactSettings(key_file=tmp_path / "keys" / "contact.key"))


def test_the_command_writes_evidence_for_the_case_here_by_default(recorded, settings, tmp_path, monkeypatch,
                                                                  capsys):
    case_id = recorded[1]
    monkeypatch.chdir(tmp_path)
    assert cli(settings, "cases", "evidence", case_id) == 0
    path, summary = capsys.readouterr().out.splitlines()
    assert Path(path) == Path(f"evidence-{case_id}.zip")
    assert summary == (f"case {case_id} (wrong_card, closed): 3 receipt(s), "
                       f"{json.loads(members(tmp_path / path)['manifest.json'])['journal_events']} journal "
                       "event(s), 1 contact attempt(s); no contact details")
    assert "contact.json" not in members(tmp_path / path)


def test_the_command_includes_the_contact_with_the_flag_and_the_key(recorded, settings, tmp_path, capsys):
    key_file = settings.contacts.key_file
    key_file.parent.mkdir()
    key_file.write_bytes(KEY)
    key_file.chmod(0o600)
    out = tmp_path / "for-the-bank.zip"
    assert cli(settings, "cases", "evidence", recorded[1], "--out", str(out), "--include-contact") == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("; contact details included, in clear")
    assert json.loads(members(out)["contact.json"])["email"] == EMAIL


def test_the_flag_without_a_key_is_an_error_and_no_key_is_made(recorded, settings, tmp_path, capsys):
    out = tmp_path / "for-the-bank.zip"
    assert cli(settings, "cases", "evidence", recorded[1], "--out", str(out), "--include-contact") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"recoup cases: --include-contact: no key file at {settings.contacts.key_file} and "
                            f"{cases.KEY_ENV_VAR} is not set\n")
    assert not out.exists() and not settings.contacts.key_file.exists()


def test_an_unknown_case_or_an_unwritable_place_is_one_line_on_stderr(recorded, settings, tmp_path, capsys):
    assert cli(settings, "cases", "evidence", "wrong_card-99", "--out", str(tmp_path / "x.zip")) == 2
    err = capsys.readouterr().err
    assert err.startswith("recoup cases: no case 'wrong_card-99'") and err.count("\n") == 1
    missing = tmp_path / "no such folder" / "x.zip"
    assert cli(settings, "cases", "evidence", recorded[1], "--out", str(missing)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"recoup cases: --out: cannot write {missing}: ") and err.count("\n") == 1
