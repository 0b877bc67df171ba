"""Money rules 4 and 5 end to end: after the full headless demo and a manager's CLI session on its data, no
full card number, track data or customer contact detail in clear is anywhere the shop keeps.

The demo runs once for the module (in-process, on a temporary data dir that it creates itself) and every
place the product writes is gathered as (source, bytes): the transcript (the demo's log), anything else that
reached stdout, stderr, `logging` or `warnings`, the paper the virtual printer put out, the output of
`recoup cases / cases show / followups / outbox / contacts list / journal`, every file in the data dir (raw,
at the agent's journal close with its WAL, after the demo and after the CLI), the journal dumped as SQL
text with its JSON, base64 and zlib undone, every member of each case's evidence package (built without
--include-contact), and anything left in the working folder, the platform folders and the temp folder.

Needles are derived, not typed in: every card in the simulator's wallet, and every contact the demo
recorded — caught as the cashier entered it (a spy on `ContactStore.record`/`update`) and as the store
decrypts it afterwards — so a flow added to the demo later is scanned without touching this file. The
e-mail the demo's local SMTP server received is the customer's own mailbox: it may hold the address, and
that it does is the scanner's positive control.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import simulator.demo
import simulator.mailserver
from agent import cli
from agent.cases import CaseSettings, CaseStore
from agent.contacts import Contact, ContactStore
from agent.journal import Journal
from agent.keys import load_key
from bench.privacy import (
    PNG,
    Finding,
    Needle,
    Source,
    card_needles,
    contact_needles,
    files_under,
    group_totals,
    modes_under,
    posix,
    scan,
    scan_card_numbers,
    sqlite_views,
    text_of,
    wallet_needles,
    zip_views,
)
from domain.card import MaskedPan
from simulator.cardreader.server import VirtualReader
from simulator.cardreader.wallet import WALLET, TestCard
from simulator.printer.device import VirtualPrinter

DEMO_SECONDS = 10.0  # the demo takes about half a second; more means something waited on a timeout
KEY_VARIABLES = ("RECOUP_CONTACT_KEY", "RECOUP_CARD_HASH_KEY")
CONTACT_FIELDS = ("name", "phone", "email", "wechat_id", "note")
RELAY_LOGGERS = ("mail",)  # aiosmtpd's loggers: mail.log, mail.debug


@dataclass
class Run:
    """Everything one demo run and the manager's CLI session after it wrote, plus what the spies saw."""

    root: Path
    data_dir: Path
    exit_code: int = -1
    seconds: float = 0.0
    transcript: str = ""
    cli: dict[str, str] = field(default_factory=dict)  # "recoup cases show X" → its stdout + stderr
    groups: dict[str, list[Source]] = field(default_factory=dict)  # what the shop keeps, by where it is
    smtp_received: list[Source] = field(default_factory=list)  # the customer's mailbox: allowed
    entered: list[dict[str, Any]] = field(default_factory=list)  # contact forms as the cashier typed them
    recorded: int = 0  # how many of them were new contacts (`record`, not `update`)
    decrypted: list[Contact] = field(default_factory=list)  # every contact the store holds, opened
    presented: list[str] = field(default_factory=list)  # wallet keys of the cards the reader presented
    case_ids: list[str] = field(default_factory=list)
    draft_ids: list[str] = field(default_factory=list)
    modes: dict[str, dict[str, int]] = field(default_factory=dict)  # when → file → permission bits


def _spy(patch: pytest.MonkeyPatch, owner: type, name: str, seen) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        seen(*args, **kwargs)
        return original(*args, **kwargs)

    patch.setattr(owner, name, wrapper)


def _spy_smtp(patch: pytest.MonkeyPatch, received: list[Source]) -> None:
    """Keep the raw message and envelope the demo's local SMTP server is handed."""
    inbox = simulator.mailserver.Inbox
    original = inbox.handle_DATA

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        envelope_to = "\n".join(envelope.rcpt_tos).encode()
        received.append((f"smtp message {len(received) + 1}", content + b"\n" + envelope_to))
        return await original(self, server, session, envelope)

    patch.setattr(inbox, "handle_DATA", handle_DATA)


def _cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue() + err.getvalue()


@contextlib.contextmanager
def _journal_copy(data_dir: Path, folder: Path):
    """The demo's journal, copied, so what the test reads never changes the files under scan."""
    folder.mkdir()
    for name in ("journal.sqlite", "journal.sqlite-wal"):
        if (data_dir / name).exists():
            shutil.copyfile(data_dir / name, folder / name)
    with Journal.open(folder / "journal.sqlite") as journal:
        yield journal


class _Records(logging.Handler):
    """Every log record, down to DEBUG, split by whose it is. The demo's local SMTP server (aiosmtpd, logger
    `mail.log`) stands in for the store's mail relay and logs each recipient at INFO and DEBUG: that is the
    relay's log, not the shop's, and recoup configures no logging that would show it. What it logs at
    WARNING or above would reach stderr through Python's last-resort handler, so that counts as the shop's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.shop: list[str] = []
        self.relay: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name} {record.levelname} {record.getMessage()}"
        relay = record.name.split(".")[0] in RELAY_LOGGERS and record.levelno < logging.WARNING
        (self.relay if relay else self.shop).append(line)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("privacy")
    result = Run(root=root, data_dir=root / "data")  # the demo creates it, as a first run would
    elsewhere = {name: root / name for name in ("cwd", "home", "tmp")}
    for folder in elsewhere.values():
        folder.mkdir()
    evidence_dir = root / "evidence"
    evidence_dir.mkdir()
    printers: list[VirtualPrinter] = []
    snapshots: dict[str, list[Source]] = {}
    closes: list[dict[str, int]] = []
    records = _Records()
    stray_out, stray_err = io.StringIO(), io.StringIO()
    transcript = io.StringIO()

    def on_close(journal: Journal) -> None:
        if journal.path.parent != result.data_dir:
            return
        closes.append(modes_under(result.data_dir))
        result.modes[f"at journal close {len(closes)}"] = closes[-1]
        if "files at the agent's journal close" not in snapshots:  # the demo's: WAL still there
            snapshots["files at the agent's journal close"] = files_under(result.data_dir, "data/")

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(elsewhere["cwd"])
        for variable in KEY_VARIABLES:
            patch.delenv(variable, raising=False)
        patch.setenv("RECOUP_DATA_DIR", str(result.data_dir))  # how `recoup cases` finds the demo's journal
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            patch.setenv(variable, str(elsewhere["home"] / variable.lower()))
        patch.setattr(tempfile, "tempdir", str(elsewhere["tmp"]))
        def on_record(store, **form):
            result.entered.append(form)
            result.recorded += 1

        _spy(patch, ContactStore, "record", on_record)
        _spy(patch, ContactStore, "update", lambda store, contact_id, **form: result.entered.append(form))
        _spy(patch, VirtualReader, "present", lambda reader, card, *rest: result.presented.append(
            card.key if isinstance(card, TestCard) else card))
        _spy(patch, VirtualPrinter, "__init__", lambda printer, *args, **kwargs: printers.append(printer))
        _spy(patch, Journal, "close", on_close)
        _spy_smtp(patch, result.smtp_received)

        root_logger = logging.getLogger()
        level = root_logger.level
        root_logger.addHandler(records)
        root_logger.setLevel(logging.DEBUG)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with contextlib.redirect_stdout(stray_out), contextlib.redirect_stderr(stray_err):
                    started = time.perf_counter()
                    result.exit_code = asyncio.run(simulator.demo.run_demo(result.data_dir, "framed", out=transcript))
                    result.seconds = time.perf_counter() - started
                snapshots["files after the demo"] = files_under(result.data_dir, "data/")
                result.modes["after the demo"] = modes_under(result.data_dir)

                with _journal_copy(result.data_dir, root / "copy-1") as journal:
                    result.case_ids = [row.case_id for row in CaseStore(journal, journal.clock, CaseSettings()).list()]
                _manager_session(result, evidence_dir)
        finally:
            root_logger.removeHandler(records)
            root_logger.setLevel(level)
        snapshots["files after the CLI"] = files_under(result.data_dir, "data/")
        result.modes["after the CLI"] = modes_under(result.data_dir)
        for name, folder in elsewhere.items():
            snapshots[f"files left in {name}"] = files_under(folder, f"{name}/")

    result.transcript = transcript.getvalue()
    result.smtp_received.append(("the mail relay's own log (aiosmtpd, below WARNING)",
                                 "\n".join(records.relay).encode()))
    with _journal_copy(result.data_dir, root / "copy-2") as journal:
        contacts = ContactStore(journal, load_key(result.data_dir / "contact.key", KEY_VARIABLES[0]))
        for row in contacts.list():
            found = contacts.get(row.contact_id)
            if isinstance(found, Contact):
                result.decrypted.append(found)

    groups = result.groups
    groups["transcript (the demo's log)"] = [("transcript", result.transcript.encode())]
    groups["stray stdout, stderr, logging, warnings"] = [
        ("stdout", stray_out.getvalue().encode()), ("stderr", stray_err.getvalue().encode()),
        ("logging", "\n".join(records.shop).encode()),
        ("warnings", "\n".join(str(w.message) for w in caught).encode())]
    groups["paper from the printer"] = [
        (f"printer {p} receipt {r}{suffix}", data) for p, printer in enumerate(printers, 1)
        for r, receipt in enumerate(printer.receipts, 1)
        for suffix, data in ((".bin", receipt.data), (".txt", receipt.text.encode()))]  # ESC/POS bytes, text
    groups["CLI output"] = [(command, output.encode()) for command, output in result.cli.items()]
    groups.update(snapshots)
    groups["journal decoded (dump, JSON, base64, zlib)"] = sqlite_views(result.data_dir / "journal.sqlite")
    groups["evidence packages"] = [view for path in sorted(evidence_dir.iterdir())
                                   for view in zip_views(path.name, path.read_bytes())]
    result.modes["evidence packages"] = modes_under(evidence_dir)
    return result


def _manager_session(result: Run, evidence_dir: Path) -> None:
    """What a store manager runs after the day: listings, each case, each draft, each evidence package."""
    commands = [("cases",), ("cases", "--open"), ("cases", "--closed"), ("followups",), ("followups", "--all"),
                ("followups", "--due"), ("outbox", "list"), ("contacts", "list"), ("journal", "--last", "100000")]
    commands += [("cases", "show", case_id) for case_id in result.case_ids]
    for argv in commands:
        _record(result, argv)
    listing = result.cli["recoup outbox list"]
    result.draft_ids = re.findall(r"^ *(\d+)  \S", listing, re.MULTILINE)  # the id column, then two spaces
    assert f"{len(result.draft_ids)} draft(s)" in listing, listing
    for draft_id in result.draft_ids:
        _record(result, ("outbox", "show", draft_id))
    for case_id in result.case_ids:
        _record(result, ("cases", "evidence", case_id, "--out", str(evidence_dir / f"evidence-{case_id}.zip")))


def _record(result: Run, argv: tuple[str, ...]) -> None:
    code, output = _cli(*argv)
    command = "recoup " + " ".join(argv)
    assert code == 0, f"{command} exited {code}: {output}"
    result.cli[command] = output


# -- needles ---------------------------------------------------------------------------------------------

def needles_of(run: Run) -> list[Needle]:
    """The wallet's cards, and each contact as entered and as the store holds it (normalised)."""
    needles = wallet_needles()
    for number, form in enumerate(run.entered, 1):
        needles += contact_needles(f"entered #{number}", entered=form,
                                   **{key: form.get(key) for key in CONTACT_FIELDS})
    for contact in run.decrypted:
        details = contact.details
        needles += contact_needles(contact.contact_id, name=details.name, phone=details.phone, email=details.email,
                                   wechat_id=details.wechat_id, note=details.note)
    return needles


def _described(findings: list[Finding]) -> str:
    return "\n".join(str(finding) for finding in findings[:40]) + (
        f"\n… and {len(findings) - 40} more" if len(findings) > 40 else "")


# -- the scanner itself ----------------------------------------------------------------------------------

def test_the_scanner_finds_every_spelling_and_never_repeats_it():
    needles = card_needles("visa", "4111111111111111", track2="4111111111111111=3012201") + contact_needles(
        "x", name="张三", phone="+8613800138000", email="Zhang.San@Example.com")
    for needle in needles:
        data = b"\x00junk before " + needle.pattern + b" junk after\xff"
        found = scan(needles, [("planted", data)])
        assert any(f.needle == needle.label and f.offset == 13 for f in found), needle.label
        for finding in found:
            for clear in (b"4111111111111111", "张三".encode(), b"13800138000", b"zhang.san"):
                assert clear.decode() not in finding.context.lower(), finding
    assert not scan(needles, [("masked", "411111******1111 138****8000 张* z***@example.com".encode())])
    shouted = scan(needles, [("case", b"mail to ZHANG.SAN@EXAMPLE.COM today")])
    assert {f.needle for f in shouted} >= {"contact x (email, utf-8)"}
    picture = PNG + "张三".encode("utf-16-le") + "张三".encode()  # four bytes turn up by chance in pictures
    assert {f.needle for f in scan(needles, [("p.png", picture)])} == {"contact x (name, utf-8)"}


def test_the_generic_detector_finds_an_unknown_card_number_but_not_hashes_dates_or_fractions():
    text = ('pan "4000 0566 5566 5556", hash "' + "4" * 15 + "0" + "a" * 48 + '", amount "000000005800", '
            '"round_trip_ms": 0.3744691234569671, "ratio": 0.4000056655665556, seq and time "105 2026-11-22 19:24:14"')
    found = scan_card_numbers([("t", text)])
    assert [f.needle for f in found] == ["Luhn-valid digit run 400005******5556"]
    assert found[0].offset == text.index("4000") and "5566" not in found[0].context


# -- the run ---------------------------------------------------------------------------------------------

def test_the_demo_passed_quickly_and_every_source_holds_something(run):
    assert run.exit_code == 0, run.transcript
    assert "demo passed" in run.transcript
    assert run.seconds < DEMO_SECONDS, f"the demo took {run.seconds:.1f} s"
    for group, sources in run.groups.items():
        if group.startswith(("files left in", "stray")):
            continue  # nothing need be there; scanned all the same
        count, total = group_totals(sources)
        assert count > 0 and total > 0, f"{group}: nothing to scan"
    assert run.case_ids and run.draft_ids
    assert {path.split("/")[1] for path, _ in run.groups["files after the demo"]} >= {
        "journal.sqlite", "contact.key", "card-hash.key"}
    assert any(name.endswith(".png") for name, _ in run.groups["evidence packages"])


def test_the_needles_come_from_what_the_demo_entered_and_stored(run):
    assert run.recorded and len(run.decrypted) == run.recorded  # every contact the store holds was spied on
    assert {c.details.phone for c in run.decrypted} - {None} and {c.details.email for c in run.decrypted} - {None}
    assert set(run.presented) <= set(WALLET) and run.presented
    # positive control: the customer's own mailbox received the e-mail, to the address the scan looks for
    emails = [needle for needle in needles_of(run) if needle.kind == "contact" and "(email, utf-8)" in needle.label]
    assert run.smtp_received and scan(emails, run.smtp_received)


GROUPS = ["transcript (the demo's log)", "stray stdout, stderr, logging, warnings", "paper from the printer",
          "CLI output", "files at the agent's journal close", "files after the demo", "files after the CLI",
          "files left in cwd", "files left in home", "files left in tmp",
          "journal decoded (dump, JSON, base64, zlib)", "evidence packages"]


def test_the_groups_are_the_ones_scanned(run):
    assert sorted(GROUPS) == sorted(run.groups)


@pytest.mark.parametrize("group", GROUPS)
def test_no_card_number_or_track_data(run, group):
    findings = [f for f in scan(wallet_needles(), run.groups[group]) if f.kind == "card"]
    assert not findings, f"card data in clear in {group}:\n{_described(findings)}"


@pytest.mark.parametrize("group", GROUPS)
def test_no_luhn_valid_digit_run_in_any_text(run, group):
    texts = [(name, text) for name, data in run.groups[group] if (text := text_of(name, data)) is not None]
    findings = scan_card_numbers(texts)
    assert not findings, f"card-number-like digits in {group}:\n{_described(findings)}"


@pytest.mark.parametrize("group", GROUPS)
def test_no_customer_contact_detail_in_clear(run, group):
    findings = [f for f in scan(needles_of(run), run.groups[group]) if f.kind == "contact"]
    assert not findings, f"contact details in clear in {group}:\n{_described(findings)}"


def test_masked_forms_are_shown_where_the_product_shows_cards_and_contacts(run):
    cards = {str(WALLET[key].masked) for key in run.presented}
    for masked in cards:
        assert masked in run.transcript, masked
    listing = run.cli["recoup cases"]
    assert any(str(card.masked) in listing for card in WALLET.values())
    dump = dict(run.groups["journal decoded (dump, JSON, base64, zlib)"])["journal.sqlite (sqlite dump)"].decode()
    assert any(str(MaskedPan.of(WALLET[key].pan)) in dump for key in run.presented)
    contacts = run.cli["recoup contacts list"]
    for contact in run.decrypted:
        details = contact.details
        shown = [v for v in (details.masked_name, details.masked_phone, details.masked_email) if v]
        assert shown and all(v in contacts for v in shown), (contact.contact_id, shown)
        if contact.case_id in run.case_ids:
            case = run.cli[f"recoup cases show {contact.case_id}"]
            assert all(v in case for v in shown), (contact.case_id, shown)
    assert re.search(r"\d{3}\*{4}\d{4}", run.transcript), "no masked phone (138****8000) in the transcript"


WHEN = ["after the demo", "after the CLI", "at each journal close (WAL and SHM open)", "evidence packages"]


def _modes(run: Run, when: str) -> dict[str, int]:
    if when.startswith("at each journal close"):
        return {f"{key}: {name}": mode for key, modes in run.modes.items() if key.startswith("at journal close")
                for name, mode in modes.items()}
    return run.modes[when]


@pytest.mark.skipif(not posix(), reason="file modes are POSIX")
@pytest.mark.parametrize("when", WHEN)
def test_what_holds_secrets_is_readable_by_its_owner_only(run, when):
    modes = _modes(run, when)
    names = {name.rsplit(": ", 1)[-1] for name in modes}
    if when == "evidence packages":
        assert len(names) == len(run.case_ids)
    else:
        assert {"journal.sqlite", "contact.key", "card-hash.key"} <= names
    if when.startswith("at each journal close"):
        assert {"journal.sqlite-wal", "journal.sqlite-shm"} <= names
    loose = {name: f"{mode:04o}" for name, mode in modes.items() if mode & 0o077}
    assert not loose, f"{when}: files others can read or write: {loose}"
