"""A privacy scanner for what the product writes: finds full card numbers, track data and customer contact
details in clear, in any bytes it is given, and says where without repeating them.

Used by the test suite and by `python -m bench.scan`: build needles from the cards and contacts a run used
(`card_needles`, `wallet_needles` for every card the simulator can present, `contact_needles`), gather
what the run wrote as (source name, bytes) pairs — files as they are (`files_under`), a SQLite journal
also as text and with its encodings undone (`sqlite_views`), zips member by member (`zip_views`), JSON
with its escapes undone (`json_view`) — then `scan` for the needles and `scan_card_numbers` for any
Luhn-valid 13–19 digit run at all (`domain.card.card_numbers`), the generic detector that catches a card
the needles did not name. A `Finding` names the source, the offset, the needle and a context in which
every needle is replaced by its label, so a failing test never prints what it found.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick
import phonenumbers
from phonenumbers import PhoneNumberFormat

from domain.card import card_numbers, mask_pan
from simulator.cardreader.wallet import WALLET, track1, track2, track2_equivalent

Source = tuple[str, bytes]
CONTEXT = 24  # bytes shown either side of a finding
SHORT = 6  # bytes: shorter needles are not looked for in compressed pictures (see `scan`)
TOO_SHORT = 4  # bytes: a spelling this short ("Li") would match everywhere, so it is no needle at all
PNG = b"\x89PNG\r\n\x1a\n"
GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class Needle:
    """One spelling of one secret: `label` says which secret and which spelling, never the secret."""

    label: str
    kind: str  # "card" or "contact"
    pattern: bytes


@dataclass(frozen=True)
class Finding:
    source: str
    offset: int
    needle: str  # the needle's label
    kind: str
    context: str  # the bytes around it, every needle in them replaced by ⟨its label⟩

    def __str__(self) -> str:
        return f"{self.source} @ {self.offset}: {self.needle}  …{self.context}…"


# -- needles ---------------------------------------------------------------------------------------------

def _encodings(text: str) -> dict[str, bytes]:
    """The byte spellings a string takes in files the product writes: UTF-8 (also what GB18030 gives for
    ASCII), GB18030 (the printer's Chinese), UTF-16 either way round, JSON's \\u escapes, SQL's doubled quote."""
    spelled = {"utf-8": text.encode(), "gb18030": text.encode("gb18030"),
               "utf-16-le": text.encode("utf-16-le"), "utf-16-be": text.encode("utf-16-be")}
    escaped = json.dumps(text)[1:-1]  # ensure_ascii: \u738b\u82b3
    if escaped != text:
        spelled["json-escaped"] = escaped.encode()
    if "'" in text:
        spelled["sql-quoted"] = text.replace("'", "''").encode()
    return spelled


def _needles(kind: str, what: str, spellings: Mapping[str, str]) -> list[Needle]:
    found: dict[bytes, Needle] = {}
    for spelling, text in spellings.items():
        for encoding, pattern in _encodings(text).items():
            if len(pattern) < TOO_SHORT:
                continue
            label = f"{what} ({spelling}, {encoding})"
            found.setdefault(pattern.lower(), Needle(label, kind, pattern))
    return list(found.values())


def _grouped(digits: str, sizes: Iterable[int], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at:at + size])
        at += size
    if at < len(digits):
        parts.append(digits[at:])
    return separator.join(part for part in parts if part)


def card_needles(name: str, pan: str, *, track1: str | None = None, track2: str | None = None) -> list[Needle]:
    """Every spelling of one card's PAN and track data worth looking for. `name` labels it (a wallet key)."""
    groups = (4, 6, 5) if len(pan) == 15 else (4, 4, 4, 4, 3)
    spellings = {"PAN": pan, "PAN grouped with spaces": _grouped(pan, groups, " "),
                 "PAN grouped with dashes": _grouped(pan, groups, "-")}
    if track2:
        spellings["track 2"] = track2
        spellings["track 2, D separator"] = track2.replace("=", "D")
    if track1:
        spellings["track 1"] = track1
    needles = _needles("card", f"card {name}", spellings)
    padded = pan + "F" * (len(pan) % 2)
    needles.append(Needle(f"card {name} (PAN, packed BCD)", "card", bytes.fromhex(padded)))
    needles.append(Needle(f"card {name} (PAN, hex of its ASCII)", "card", pan.encode().hex().encode()))
    return needles


def wallet_needles() -> list[Needle]:
    """Every card of the simulator's wallet: its PAN, track 1 and track 2 as swiped, and the track-2
    equivalent a chip or contactless read hands over. A spelling both give (the PAN's) is one needle."""
    needles: dict[bytes, Needle] = {}
    for key, card in WALLET.items():
        for needle in (card_needles(key, card.pan, track1=track1(card), track2=track2(card))
                       + card_needles(key, card.pan, track2=track2_equivalent(card))):
            needles.setdefault(needle.pattern.lower(), needle)
    return list(needles.values())


def phone_spellings(e164: str) -> dict[str, str]:
    """'+8613800138000' as people and programs write it: E.164, without the plus, with 00, national digits,
    the library's formats, and the national number with spaces or dashes in 3-4-4 groups."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    spellings = {"E.164": e164, "international digits": code + national, "00 prefix": "00" + code + national,
                 "national digits": national,
                 "international format": phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
                 "national format": phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
                 "RFC 3966": phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)}
    if len(national) == 11:
        for separator, name in ((" ", "spaces"), ("-", "dashes")):
            spellings[f"national, 3-4-4 with {name}"] = _grouped(national, (3, 4, 4), separator)
            spellings[f"international, 3-4-4 with {name}"] = f"+{code}{separator}" + _grouped(
                national, (3, 4, 4), separator)
    return spellings


def contact_needles(label: str, *, name: str | None = None, phone: str | None = None, email: str | None = None,
                    wechat_id: str | None = None, note: str | None = None,
                    entered: Mapping[str, Any] | None = None, region: str = "CN") -> list[Needle]:
    """Every spelling of one customer's details. `phone` may be E.164 or as typed (parsed in `region`);
    `entered` adds the raw form values as the cashier typed them (a dict of field → value)."""
    spellings: dict[str, str] = {}
    for field, value in (entered or {}).items():
        if isinstance(value, str) and value.strip() and field in ("name", "phone", "email", "wechat_id", "note"):
            spellings[f"{field} as entered"] = value.strip()
    if name:
        spellings["name"] = name
        spellings.update({f"name, word {i}": word for i, word in enumerate(name.split(), 1)
                          if len(name.split()) > 1 and (len(word) >= 4 or not word.isascii())})
    if phone:
        try:
            e164 = phonenumbers.format_number(phonenumbers.parse(phone, region), PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            e164 = None  # not a number the store would keep; as entered, it is still looked for
        if e164 is not None:
            spellings.update({f"phone, {key}": value for key, value in phone_spellings(e164).items()})
    if email:
        local, _, domain = email.rpartition("@")
        spellings.update({"email": email, "email lowercased": email.lower(), "email, local part": local,
                          "email, URL-encoded": f"{local}%40{domain}"})
    if wechat_id:
        spellings["WeChat id"] = wechat_id
    if note and len(note) >= 6:
        spellings["note"] = note
    return _needles("contact", f"contact {label}", spellings)


# -- scanning --------------------------------------------------------------------------------------------

def scan(needles: Iterable[Needle], sources: Iterable[Source]) -> list[Finding]:
    """Every place any needle occurs in any source, case-insensitively (e-mail servers change case).

    In a compressed picture any four bytes turn up by chance every few megabytes, so needles shorter than
    `SHORT` bytes (a two-character name in UTF-16 or GB18030) are not looked for in PNG data; text a PNG
    carries in clear still meets every longer spelling (UTF-8 of that name is six bytes)."""
    # One pass per source for all needles (Aho-Corasick): a soak's hundreds of contacts make thousands of
    # spellings, and a find per spelling per source would take hours. Bytes are searched as Latin-1 text,
    # one character per byte, so offsets are byte offsets.
    every, longer = ahocorasick.Automaton(), ahocorasick.Automaton()
    for needle in needles:
        pattern = needle.pattern.lower().decode("latin-1")
        for automaton in (every, longer) if len(pattern) >= SHORT else (every,):
            automaton.add_word(pattern, [*(automaton.get(pattern) if pattern in automaton else ()), needle])
    for automaton in (every, longer):
        automaton.make_automaton()
    findings: list[Finding] = []
    for source, data in sources:
        automaton = longer if data.startswith(PNG) else every
        hits: list[tuple[int, int, Needle]] = []
        if len(automaton):
            for last, found in automaton.iter(data.lower().decode("latin-1")):
                start = last + 1 - len(found[0].pattern)
                hits += [(start, last + 1, needle) for needle in found]
        spans = _merged([(start, end, needle.label) for start, end, needle in hits])
        findings += [Finding(source, start, needle.label, needle.kind, _context(data, start, end, spans))
                     for start, end, needle in sorted(hits, key=lambda hit: (hit[0], hit[2].label))]
    return findings


def scan_card_numbers(sources: Iterable[tuple[str, str]], *, kind: str = "card",
                      own_ids: frozenset[str] = frozenset()) -> list[Finding]:
    """The generic detector: every Luhn-valid 13–19 digit run (spaces or dashes allowed between digits) that
    `domain.card.card_numbers` finds in decoded text, with its character offset. `own_ids` are the terminal's
    configured merchant and terminal ids, which the product writes everywhere and which are no card even
    when a numeric merchant id passes Luhn (the journal's guard lets exactly those through too).

    Passed over, because their digits run into their neighbours' and are as often Luhn-valid as any: hex
    strings of 32 characters or more (card hashes, key and blob literals, SHA-256 sums), as the journal's
    guard passes over card hashes; ISO dates (`2026-11-22`), which `recoup journal` prints right after a
    sequence number ("105 2026-11-22 19" reads as 13 digits); and the fraction of a decimal number
    (`"round_trip_ms": 0.3744691234569671`). A card number beside any of them is still found."""
    findings = []
    for source, text in sources:
        text = _PASSED_OVER.sub(lambda match: "x" * len(match.group()), text)
        data = None
        for digits in dict.fromkeys(card_numbers(text, own_ids)):
            data = data if data is not None else text.encode()
            loose = re.compile(r"(?<![0-9])" + "[ -]?".join(digits) + r"(?![0-9])")
            for match in loose.finditer(text):
                start = len(text[:match.start()].encode())
                end = start + len(match.group().encode())
                label = f"Luhn-valid digit run {mask_pan(digits)}"
                findings.append(Finding(source, match.start(), label, kind,
                                        _context(data, start, end, [(start, end, label)])))
    return findings


_PASSED_OVER = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])"
                          r"|(?<![0-9-])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])"
                          r"|(?<=[0-9]\.)[0-9]+")


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping hits (a national number inside an E.164 one) as one span under the longest label."""
    merged: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans, key=lambda span: (span[0], -span[1])):
        if merged and start < merged[-1][1]:
            first, last, kept = merged[-1]
            merged[-1] = (first, max(last, end), kept)
        else:
            merged.append((start, end, label))
    return merged


def _context(data: bytes, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    """The bytes around [start, end) with every needle span replaced by its label, widened so that no span
    is cut in half at an edge, then any long digit run left masked too."""
    low, high = max(0, start - CONTEXT), min(len(data), end + CONTEXT)
    for first, last, _ in spans:
        if first < low < last:
            low = first
        if first < high < last:
            high = last
    pieces, at = [], low
    for first, last, label in spans:
        if last <= low or first >= high:
            continue
        pieces.append(_printable(data[at:first]))
        pieces.append(f"⟨{label}⟩")
        at = last
    pieces.append(_printable(data[at:high]))
    return re.sub(r"[0-9]{7,}", lambda m: m.group()[:2] + "#" * (len(m.group()) - 2), "".join(pieces))


def _printable(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return "".join(char if char.isprintable() else "·" for char in text)


# -- sources ---------------------------------------------------------------------------------------------

def files_under(root: Path, prefix: str = "") -> list[Source]:
    """Every regular file below `root`, as raw bytes, named by its path relative to `root`."""
    return [(f"{prefix}{path.relative_to(root).as_posix()}", path.read_bytes())
            for path in sorted(root.rglob("*")) if path.is_file()]


def modes_under(root: Path) -> dict[str, int]:
    """The permission bits of every regular file below `root` (POSIX meaning)."""
    return {path.relative_to(root).as_posix(): stat.S_IMODE(path.stat().st_mode)
            for path in sorted(root.rglob("*")) if path.is_file()}


def text_of(name: str, data: bytes) -> str | None:
    """The text a source holds, for the generic detector: UTF-8, or GB18030 for ESC/POS printer bytes.
    None for binary data (a database file, a key, a picture), where unrelated bytes would read as digits."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if name.endswith(".bin"):
        return data.decode("gb18030", errors="replace")
    return None


def json_strings(value: Any) -> Iterator[str]:
    """Every key and string (and integer, as text) in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)


def json_view(name: str, text: str) -> list[Source]:
    """A JSON document with its escapes undone (one string a line), and anything its strings hide in
    base64 or zlib; [] if the text is not a JSON object or array."""
    if not text.lstrip().startswith(("{", "[")):
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    strings = list(json_strings(value))
    views = [(f"{name} (JSON decoded)", "\n".join(strings).encode())]
    for index, string in enumerate(strings):
        views += [(f"{name} (JSON string {index}, {how})", data) for how, data in _decoded(string.encode())]
    return views


_BASE64 = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def _decoded(data: bytes) -> list[tuple[str, bytes]]:
    """What data may be hiding: base64 of something, zlib or gzip of something (one level each)."""
    views = []
    if _BASE64.fullmatch(data) and len(data) % 4 == 0:
        try:
            raw = base64.b64decode(data, altchars=b"-_" if b"-" in data or b"_" in data else None, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if raw:
            views.append(("base64-decoded", raw))
            views += [(f"base64-decoded, {how}", inner) for how, inner in _inflated(raw)]
    views += _inflated(data)
    return views


def _inflated(data: bytes) -> list[tuple[str, bytes]]:
    """Only data that starts as a zlib stream (the header zlib itself checks: deflate, a checksum that
    divides by 31) or a gzip member is tried: a journal holds a million strings that are neither."""
    if data[:2] == GZIP:
        how, inflate = "gzip", gzip.decompress
    elif len(data) >= 2 and data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0:
        how, inflate = "zlib", zlib.decompress
    else:
        return []
    try:
        return [(f"{how}-inflated", inflate(data))]
    except (zlib.error, OSError, EOFError):
        return []


def sqlite_views(path: Path, name: str | None = None) -> list[Source]:
    """A SQLite database (with its -wal) as text: the `iterdump` of a copy, every JSON text cell decoded,
    every BLOB cell raw, and anything base64/zlib inside. The original files are not touched."""
    return list(sqlite_sources(path, name))


def sqlite_sources(path: Path, name: str | None = None) -> Iterator[Source]:
    """`sqlite_views` one at a time, so a journal of thousands of sales is scanned a cell at a time rather
    than held whole in memory in all its pictures at once."""
    name = name or path.name
    with tempfile.TemporaryDirectory(prefix="scan-db-") as folder:
        copy = Path(folder) / path.name
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
        db = sqlite3.connect(copy)
        try:
            yield f"{name} (sqlite dump)", "\n".join(db.iterdump()).encode()
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                cursor = db.execute(f'SELECT * FROM "{table}"')
                columns = [column[0] for column in cursor.description]
                for number, row in enumerate(cursor):
                    for column, value in zip(columns, row, strict=True):
                        cell = f"{name}:{table}[row {number}].{column}"
                        if isinstance(value, str):
                            yield from json_view(cell, value)
                            yield from ((f"{cell} ({how})", data) for how, data in _decoded(value.encode()))
                        elif isinstance(value, bytes):
                            yield f"{cell} (blob)", value
                            yield from ((f"{cell} (blob, {how})", data) for how, data in _decoded(value))
        finally:
            db.close()


def zip_views(name: str, data: bytes) -> list[Source]:
    """A zip's members as bytes (pictures too), JSON members also decoded."""
    views: list[Source] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            content = archive.read(member)
            views.append((f"{name}:{member}", content))
            if member.endswith(".json"):
                views += json_view(f"{name}:{member}", content.decode("utf-8", errors="replace"))
    return views


def group_totals(sources: Iterable[Source]) -> tuple[int, int]:
    """(how many sources, how many bytes)."""
    count = total = 0
    for _, data in sources:
        count += 1
        total += len(data)
    return count, total


def posix() -> bool:
    return os.name == "posix"
