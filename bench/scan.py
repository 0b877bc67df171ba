"""The card-data and privacy scan of an agent's data dir (money rules 4 and 5), as one command.

Every regular file under DATA_DIR, and each `--extra` file (the paper a run printed, the agent's captured
output as its log), is scanned as it is; then, by what it holds, in the pictures a secret could hide in:
a SQLite database (found by its header, so a journal under any name) also as its SQL dump and cell by
cell with JSON, base64 and zlib undone (`bench.privacy.sqlite_sources`, on a copy with its -wal), a zip
(evidence packages) member by member, a JSON document with its escapes undone. Symlinks (the simulated
reader's `sim-card-reader`) are neither followed nor scanned.

The needles are every card of the simulator's wallet (PAN, grouped, track 1, track 2, the track-2
equivalent, in every encoding `bench.privacy` knows), each contact given with `--contacts` (a JSON list
of objects with any of name, phone, email, wechat — wechat_id and note too — as the cashier typed them
in), and, over all text, any Luhn-valid run of 13–19 digits at all. A finding names its source, offset,
the needle's label and kind, and a context with every secret masked: the report never repeats what it
found.

On POSIX the files that hold secrets must be readable by their owner only (no group or other bits, as
0600): every SQLite database and its -wal, -shm or -journal, every key (`*.key`, and a key's temporary
file left by a crash before it was linked into place), every log (`*.log`), every evidence package (a
zip: the product writes them 0600, and with --include-contact they hold the customer's details). The
lock beside the journal holds only the running agent's pid, and is reported but not held to it.

A scan that finds nothing is only believable if it could have found something, so every run also scans
a control, always: a text file with a wallet PAN, a SQLite database with a track 2 zlib-compressed and
base64-encoded in a JSON cell, a zip with the PAN grouped in a deflated JSON member, a JSON file with the
first given contact's details escaped, and a key file of mode 0644 — each made in a temporary folder and
put through the same code as the data dir's files. Every planted secret must be found under its label
and the key's mode failed, or the run fails. It costs milliseconds.

Usage: python -m bench.scan DATA_DIR [--contacts FILE] [--extra FILE ...] [--json-out FILE] [--own-id ID ...]

A numeric merchant id (15 digits, as China's acquirers issue them) passes Luhn one time in ten; name the
install's own ids with `--own-id` (its `[host] merchant_id` and `terminal_id`) and a run of exactly those
digits is not reported, as the journal's guard does not refuse them. A card number that contains one is.
Exit status: 0 clean, 1 a finding, a mode failure, a file that could not be read as what it is, or a
control not found; 2 could not start (no DATA_DIR, a missing --extra file, a bad --contacts file).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import sqlite3
import stat
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.privacy import (
    Finding,
    Needle,
    Source,
    contact_needles,
    json_view,
    posix,
    scan,
    scan_card_numbers,
    sqlite_sources,
    text_of,
    wallet_needles,
    zip_views,
)
from simulator.cardreader.wallet import WALLET, track2

SQLITE = b"SQLite format 3\x00"
ZIP = b"PK\x03\x04"
PRIVATE = ("database", "key", "log", "evidence package")  # kinds readable by their owner only
KEY_TEMPORARY = re.compile(r"\..+\.key\.[0-9a-f]+\.tmp")  # agent/keys.py: written there, then linked
CONTACT_FIELDS = {"name": "name", "phone": "phone", "email": "email", "wechat": "wechat_id",
                  "wechat_id": "wechat_id", "note": "note"}
FINDINGS_SHOWN = 200  # past these, findings are counted by needle and by file only


class ScanInputError(ValueError):
    """What the scan was asked to look at or for cannot be used: it names the file, entry or key."""


def kind_of(name: str, head: bytes) -> str:
    """What a file is, for the mode rule: by its first bytes where they tell, else by its name."""
    if head.startswith(SQLITE) or name.endswith((".sqlite", ".sqlite3", ".db", "-wal", "-shm", "-journal")):
        return "database"
    if name.endswith(".key") or KEY_TEMPORARY.fullmatch(name):
        return "key"
    if name.endswith(".log"):
        return "log"
    if head.startswith(ZIP) or name.endswith(".zip"):
        return "evidence package"
    if name.endswith(".lock"):
        return "lock"
    return "other"


def views_of(name: str, path: Path, data: bytes) -> Iterator[Source]:
    """The file as it is, then what it holds undone: a database cell by cell, a zip member by member,
    a JSON document with its escapes undone."""
    yield name, data
    if data.startswith(SQLITE):
        yield from sqlite_sources(path, name)
    elif data.startswith(ZIP):
        yield from zip_views(name, data)
    elif (text := text_of(name, data)) is not None:
        yield from json_view(name, text)


def contacts_needles(contacts: Iterable[Mapping[str, str]]) -> list[Needle]:
    """Needles for each contact as the cashier typed it, labelled `#1`, `#2`, … in the order given."""
    return [needle for number, contact in enumerate(contacts, 1) for needle in _contact_needles(number, contact)]


def _contact_needles(number: int, contact: Mapping[str, str]) -> list[Needle]:
    if not isinstance(contact, Mapping):
        raise ScanInputError(f"contact #{number} is not an object of name, phone, email, wechat")
    fields: dict[str, str] = {}
    for key, value in contact.items():
        if key not in CONTACT_FIELDS:
            raise ScanInputError(f"contact #{number}: unknown key {key!r} (known: {', '.join(sorted(CONTACT_FIELDS))})")
        if value is None:
            continue
        if not isinstance(value, str):
            raise ScanInputError(f"contact #{number}: {key} is {type(value).__name__}, not text")
        fields[CONTACT_FIELDS[key]] = value
    return contact_needles(f"#{number}", entered=fields, **fields)


class Scanner:
    """One scan: the needles, and what the files it was shown gave (findings, modes, counts)."""

    def __init__(self, needles: list[Needle], *, check_modes: bool, own_ids: frozenset[str] = frozenset()) -> None:
        self.needles = needles
        self.check_modes = check_modes
        self.own_ids = own_ids
        self.files: list[dict[str, Any]] = []
        self.skipped: list[dict[str, str]] = []
        self.unreadable: list[dict[str, str]] = []
        self.findings: list[Finding] = []
        self.sources = 0
        self.source_bytes = 0

    def file(self, name: str, path: Path) -> None:
        kind = kind_of(path.name, _head(path))
        entry: dict[str, Any] = {"path": name, "kind": kind, "bytes": 0, "sources": 0, "findings": 0}
        self.files.append(entry)
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
            data = path.read_bytes()
        except OSError as exc:
            self.unreadable.append({"path": name, "kind": kind, "error": f"{type(exc).__name__}: {exc}"})
            return
        if self.check_modes:
            entry["mode"] = f"{mode:04o}"
            entry["owner_only_required"] = kind in PRIVATE
            entry["mode_ok"] = kind not in PRIVATE or not mode & 0o077
        entry["bytes"] = len(data)
        before = len(self.findings)
        self.findings += scan(self.needles, self._counted(entry, views_of(name, path, data)))
        entry["findings"] = len(self.findings) - before

    def _counted(self, entry: dict[str, Any], sources: Iterator[Source]) -> Iterator[Source]:
        """Each source on its way to the needles: counted, and its text through the Luhn scan. A database
        or zip that cannot be read through is reported, not vouched for: what it hides was not seen."""
        try:
            for name, data in sources:
                entry["sources"] += 1
                self.sources += 1
                self.source_bytes += len(data)
                if (text := text_of(name, data)) is not None:
                    self.findings += scan_card_numbers([(name, text)], own_ids=self.own_ids)
                yield name, data
        except (OSError, sqlite3.DatabaseError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
                NotImplementedError, RecursionError) as exc:
            # RuntimeError: an encrypted zip member; NotImplementedError: a compression zipfile cannot undo.
            self.unreadable.append({"path": entry["path"], "kind": entry["kind"],
                                    "error": f"{type(exc).__name__}: {exc}"})

    def tree(self, root: Path) -> None:
        """Every file below `root`, in name order; symlinks and special files are listed, not read."""
        for folder, directories, files in os.walk(root):
            directories.sort()
            here = Path(folder)
            for name in sorted(files) + [d for d in directories if (here / d).is_symlink()]:
                path = here / name
                relative = path.relative_to(root).as_posix()
                if path.is_symlink():
                    self.skipped.append({"path": relative, "why": "symlink (not followed)"})
                elif not stat.S_ISREG(path.lstat().st_mode):
                    self.skipped.append({"path": relative, "why": "not a regular file"})
                else:
                    self.file(relative, path)

    def mode_failures(self) -> list[dict[str, Any]]:
        return [{"path": f["path"], "kind": f["kind"], "mode": f["mode"], "required": "0600 (no group or other bits)"}
                for f in self.files if f.get("mode_ok") is False]


def control(needles: list[Needle], contacts: list[Mapping[str, str]], *, check_modes: bool) -> dict[str, Any]:
    """Plant secrets where the scan must find them, through the same code, and say whether it did."""
    key, card = next(iter(WALLET.items()))
    grouped = " ".join(card.pan[at:at + 4] for at in range(0, len(card.pan), 4))
    planted = [("control.txt", f"card {key} (PAN, utf-8)"), ("control.txt", "Luhn-valid digit run"),
               ("control.sqlite", f"card {key} (track 2, utf-8)"),
               ("control.zip", f"card {key} (PAN grouped with spaces, utf-8)")]
    person = next(((number, contact) for number, contact in enumerate(contacts, 1)
                   if _contact_needles(number, contact)), None)
    scanner = Scanner(needles, check_modes=check_modes)
    with tempfile.TemporaryDirectory(prefix="recoup-scan-control-") as folder:
        root = Path(folder)
        (root / "control.txt").write_text(f"sale 1 card {card.pan} approved\n", encoding="utf-8")
        db = sqlite3.connect(root / "control.sqlite")
        try:
            db.execute("CREATE TABLE events (payload TEXT)")
            hidden = base64.b64encode(zlib.compress(track2(card).encode())).decode()
            db.execute("INSERT INTO events VALUES (?)", (json.dumps({"blob": hidden}),))
            db.commit()
        finally:
            db.close()
        with zipfile.ZipFile(root / "control.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("case.json", json.dumps({"card": grouped}))
        if person is not None:
            number, contact = person
            (root / "control.json").write_text(json.dumps(dict(contact)), encoding="utf-8")
            planted.append(("control.json", f"contact #{number} ("))
        if check_modes:  # the database and the zip as the product leaves them; the key left readable
            for name in ("control.sqlite", "control.zip"):
                (root / name).chmod(0o600)
            (root / "contact.key").write_bytes(bytes(32))
            (root / "contact.key").chmod(0o644)
        scanner.tree(root)
    checks = {f"{label}… in {where}": any(f.source.startswith(where) and f.needle.startswith(label)
                                          for f in scanner.findings) for where, label in planted}
    if check_modes:
        checks["contact.key at 0644 failing the mode rule"] = [
            f["path"] for f in scanner.mode_failures()] == ["contact.key"]
    missed = [what for what, found in checks.items() if not found]
    return {"planted": len(checks), "found": len(checks) - len(missed), "missed": missed, "passed": not missed}


def scan_data_dir(root: Path, *, contacts: Iterable[Mapping[str, str]] = (), extra: Iterable[Path] = (),
                  own_ids: Iterable[str] = ()) -> dict:
    """Scan `root` (an agent's data dir) and the `extra` files for card data and `contacts` in clear, check
    the modes of what holds secrets, and run the control; `own_ids` (the config's [host] merchant_id and
    terminal_id) are not taken for card numbers. Returns the report `python -m bench.scan` prints;
    its "clean" is true when nothing was found, every mode passed, every file was read and the control
    found everything planted. Raises ScanInputError for a missing `root` or extra file or a bad contact."""
    started = time.perf_counter()
    root, extra, contacts = Path(root), [Path(path) for path in extra], list(contacts)
    if not root.is_dir():
        raise ScanInputError(f"{root}: no such data directory")
    for path in extra:
        if not path.is_file():
            raise ScanInputError(f"{path}: no such file (--extra)")
    cards, people = wallet_needles(), contacts_needles(contacts)
    needles = cards + people
    check_modes = posix()
    scanner = Scanner(needles, check_modes=check_modes, own_ids=frozenset(own_ids))
    scanner.tree(root)
    for path in extra:
        scanner.file(str(path), path)
    checked = control(needles, contacts, check_modes=check_modes)
    failures = scanner.mode_failures()
    findings = sorted(scanner.findings, key=lambda f: (f.source, f.offset, f.needle))
    return {
        "scan": "privacy",
        "data_dir": str(root),
        "machine": {"python": platform.python_version(), "platform": sys.platform},
        "clean": not findings and not failures and not scanner.unreadable and checked["passed"],
        "seconds": round(time.perf_counter() - started, 3),
        "files_scanned": len(scanner.files),
        "bytes_scanned": sum(f["bytes"] for f in scanner.files),
        "sources_scanned": scanner.sources,
        "source_bytes_scanned": scanner.source_bytes,
        "needles": {"total": len(needles), "cards": len(cards), "cards_in_wallet": len(WALLET),
                    "contacts": len(people), "contacts_given": len(contacts),
                    "generic": "every Luhn-valid run of 13-19 digits in any text"},
        "findings_count": len(findings),
        "findings_by_needle": dict(Counter(f.needle for f in findings).most_common()),
        "findings_by_file": {f["path"]: f["findings"] for f in scanner.files if f["findings"]},
        "findings": [asdict(f) for f in findings[:FINDINGS_SHOWN]],
        "modes_checked": check_modes,
        "mode_failures": failures,
        "unreadable": scanner.unreadable,
        "control": checked,
        "files": scanner.files,
        "skipped": scanner.skipped,
    }


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(len(SQLITE))
    except OSError:
        return b""  # read again, and reported unreadable, by `Scanner.file`


def _contacts(path: Path | None) -> list[Mapping[str, str]]:
    if path is None:
        return []
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScanInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ScanInputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(value, list):
        raise ScanInputError(f"{path}: should be a JSON list of contacts, is a {type(value).__name__}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path, metavar="DATA_DIR", help="the agent's data dir")
    parser.add_argument("--contacts", type=Path, metavar="FILE",
                        help="a JSON list of the contacts entered: objects with any of name, phone, email, wechat")
    parser.add_argument("--extra", type=Path, metavar="FILE", nargs="+", action="extend", default=[],
                        help="more files to scan the same way (printed paper, the agent's log)")
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the report here")
    parser.add_argument("--own-id", metavar="ID", action="append", default=[],
                        help="the terminal's own [host] merchant_id or terminal_id, not a card number even when "
                             "it passes Luhn (repeat for each)")
    args = parser.parse_args(argv)
    try:
        report = scan_data_dir(args.data_dir, contacts=_contacts(args.contacts), extra=args.extra,
                               own_ids=args.own_id)
    except ScanInputError as exc:
        print(f"bench.scan: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json_out is not None:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    return 0 if report["clean"] else 1


if __name__ == "__main__":
    sys.exit(main())
