"""`python -m bench.scan` on a data dir made for real: the headless demo's (every recovery flow, three
customers' contacts, card reads of five wallet cards) with the evidence package of each case written by
`recoup cases evidence` into it. Clean as the demo leaves it; then a copy with a PAN, a track 2 and a
phone number planted in clear and a key left readable, where each must be found and named by its label
only. The fast subset of the scan a soak runs on its data dir at the end."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import simulator.demo
from agent import cli
from agent.cases import CaseSettings, CaseStore
from agent.contacts import Contact, ContactStore
from agent.journal import Journal
from agent.keys import load_key
from bench.privacy import posix
from bench.scan import ScanInputError, main, scan_data_dir
from simulator.cardreader.wallet import WALLET, track2

ROOT = Path(__file__).resolve().parents[2]
KEY_VARIABLES = ("RECOUP_CONTACT_KEY", "RECOUP_CARD_HASH_KEY")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    """The demo's data dir with an evidence package per case, and its contacts as the store holds them."""
    root = tmp_path_factory.mktemp("scan")
    data_dir = root / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for variable in KEY_VARIABLES:
            patch.delenv(variable, raising=False)
        patch.setenv("RECOUP_DATA_DIR", str(data_dir))
        assert asyncio.run(simulator.demo.run_demo(data_dir, "framed", out=io.StringIO())) == 0
        with Journal.open(data_dir / "journal.sqlite") as journal:
            case_ids = [row.case_id for row in CaseStore(journal, journal.clock, CaseSettings()).list()]
            store = ContactStore(journal, load_key(data_dir / "contact.key", KEY_VARIABLES[0]))
            found = [store.get(row.contact_id) for row in store.list()]
        contacts = [{key: value for key, value in (("name", c.details.name), ("phone", c.details.phone),
                                                   ("email", c.details.email), ("wechat", c.details.wechat_id))
                     if value} for c in found if isinstance(c, Contact)]
        (data_dir / "evidence").mkdir()
        for case_id in case_ids:
            out = data_dir / "evidence" / f"evidence-{case_id}.zip"
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli.main(["cases", "evidence", case_id, "--out", str(out)]) == 0
    assert case_ids and len(contacts) == 3
    return data_dir, contacts


def test_the_demo_leaves_no_card_data_or_contact_in_clear_and_its_secrets_private(demo):
    data_dir, contacts = demo
    report = scan_data_dir(data_dir, contacts=contacts)
    assert report["clean"], json.dumps(report, ensure_ascii=False, indent=1)[:4000]
    kinds = {entry["path"]: entry["kind"] for entry in report["files"]}
    assert {kinds["journal.sqlite"], kinds["contact.key"], kinds["card-hash.key"]} == {"database", "key"}
    assert [kind for path, kind in kinds.items() if path.startswith("evidence/")] == ["evidence package"] * len(
        list((data_dir / "evidence").iterdir()))
    assert report["sources_scanned"] > 10 * report["files_scanned"]  # the journal's cells, the zips' members
    assert report["needles"]["contacts"] > 30 and report["needles"]["cards_in_wallet"] == len(WALLET)
    assert report["control"] == {"planted": 5 + posix(), "found": 5 + posix(), "missed": [], "passed": True}
    if posix():
        assert all(entry["mode_ok"] for entry in report["files"])
        assert all(entry["owner_only_required"] for entry in report["files"])


def _leaky_copy(data_dir: Path, folder: Path, phone: str) -> tuple[Path, Path, dict[str, str]]:
    """The data dir with a PAN in a log, a track 2 in a journal event and a phone number on the paper."""
    copy = folder / "data"
    shutil.copytree(data_dir, copy, symlinks=True)
    visa, mastercard = WALLET["visa"], WALLET["mastercard"]
    log = copy / "agent.log"
    log.write_text(f"12:00:01 reader: card read {visa.pan}\n", encoding="utf-8")
    log.chmod(0o600)
    db = sqlite3.connect(copy / "journal.sqlite")
    with db:
        db.execute("INSERT INTO events (at, kind, payload, stream) VALUES (?, ?, ?, ?)",
                   ("2026-01-05T01:00:00Z", "card_read", json.dumps({"track2": track2(mastercard)}), "sale-x"))
    db.close()
    (copy / "card-hash.key").chmod(0o644)
    paper = folder / "paper.txt"
    spoken = f"{phone[3:6]} {phone[6:10]} {phone[10:]}"  # +8613912345678 as 139 1234 5678
    paper.write_text(f"Thank you. We will call you on {spoken}\n", encoding="utf-8")
    secrets = {"visa PAN": visa.pan, "mastercard track 2": track2(mastercard), "phone": spoken,
               "phone's digits": phone[3:]}
    return copy, paper, secrets


def test_a_pan_a_track_2_a_phone_and_a_readable_key_are_each_found_and_named_by_label_only(demo, tmp_path):
    data_dir, contacts = demo
    number, phone = next((n, c["phone"]) for n, c in enumerate(contacts, 1) if "phone" in c)
    copy, paper, secrets = _leaky_copy(data_dir, tmp_path, phone)
    report = scan_data_dir(copy, contacts=contacts, extra=[paper])
    assert not report["clean"]
    where = {(f["source"].split(" (")[0].split(":")[0], f["needle"]) for f in report["findings"]}
    assert ("agent.log", "card visa (PAN, utf-8)") in where
    assert ("journal.sqlite", "card mastercard (track 2, utf-8)") in where
    assert (str(paper), f"contact #{number} (phone, national format, utf-8)") in where  # 139 1234 5678
    assert ("agent.log", "Luhn-valid digit run 411111******1111") in where
    assert set(report["findings_by_file"]) == {"agent.log", "journal.sqlite", str(paper)}
    if posix():
        assert report["mode_failures"] == [{"path": "card-hash.key", "kind": "key", "mode": "0644",
                                            "required": "0600 (no group or other bits)"}]
    printed = json.dumps(report, ensure_ascii=False)
    for what, secret in secrets.items():
        assert secret not in printed, what
    assert report["control"]["passed"]


def test_the_command_exits_0_clean_1_on_a_finding_2_when_it_cannot_start(demo, tmp_path, capsys):
    data_dir, contacts = demo
    assert main([str(data_dir), "--json-out", str(tmp_path / "clean.json")]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((tmp_path / "clean.json").read_text(encoding="utf-8"))
    phone = next(c["phone"] for c in contacts if "phone" in c)
    copy, paper, _ = _leaky_copy(data_dir, tmp_path, phone)
    (tmp_path / "contacts.json").write_text(json.dumps(contacts), encoding="utf-8")
    leaky = subprocess.run([sys.executable, "-m", "bench.scan", str(copy), "--contacts",
                            str(tmp_path / "contacts.json"), "--extra", str(paper)],
                           cwd=ROOT, capture_output=True, encoding="utf-8")
    assert leaky.returncode == 1, leaky.stderr
    assert json.loads(leaky.stdout)["findings_count"] >= 4
    missing = subprocess.run([sys.executable, "-m", "bench.scan", str(tmp_path / "nowhere")], cwd=ROOT,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such data directory" in missing.stderr and not missing.stdout


def test_a_package_that_cannot_be_opened_is_reported_and_its_bytes_still_scanned(tmp_path):
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("case.json", json.dumps({"card": WALLET["amex"].pan}))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "evidence-1.zip").write_bytes(whole.read_bytes()[:-30])  # the central directory cut short
    (data_dir / "evidence-1.zip").chmod(0o600)
    report = scan_data_dir(data_dir)
    assert [(u["path"], u["kind"]) for u in report["unreadable"]] == [("evidence-1.zip", "evidence package")]
    assert "BadZipFile" in report["unreadable"][0]["error"]
    assert {f["needle"] for f in report["findings"]} >= {"card amex (PAN, utf-8)"} and not report["clean"]


@pytest.mark.parametrize(("contacts", "named"), [
    ([{"name": "王芳", "mobile": "13912345678"}], "contact #1: unknown key 'mobile'"),
    ([{"phone": "13912345678"}, {"phone": 13912345678}], "contact #2: phone is int, not text"),
    (["13912345678"], "contact #1 is not an object"),
])
def test_a_contact_that_cannot_be_used_is_refused_by_name(demo, contacts, named):
    with pytest.raises(ScanInputError, match=named):
        scan_data_dir(demo[0], contacts=contacts)
