"""The acquirer's settlement file (对账文件), read a line at a time: CSV with a header line, one line per money
movement it settled.

Nothing is held beyond the line in hand, so a file of a million lines reads in the memory of one. Each
physical line is parsed on its own: a quote left open cannot swallow the rest of the file, and a line
that cannot be read is reported by its number and skipped — never dropped silently, never a crash —
while every good line around it is kept. A reason never repeats more of a value than it needs to, and
a card number in a value is masked: the file may be wrong, the report must not make it worse.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from agent.reconcile.projection import SEPARATOR
from agent.reconcile.settings import FIELDS, REQUIRED, ReconcileSettings
from domain.card import card_numbers, mask_digit_runs
from domain.money import EXPONENTS, NUMERIC

_ALPHA = {numeric: alpha for alpha, numeric in NUMERIC.items()}
_SHOWN = 24  # characters of a bad value repeated in a reason
_TEXT = re.compile(r"[^\x00-\x1f\x7f|]*")  # what may be journaled: no control characters, no separator
# Anything a cell must be looked at closely for: a control character, the separator, or a run of digits as
# long as the shortest card number (card_numbers then decides).
_SUSPECT = re.compile(r"[\x00-\x1f\x7f|]|[0-9](?:[ -]?[0-9]){12}")
_LONGEST = 64
_MAJOR = re.compile(r"(?P<sign>[-+]?)(?P<units>[0-9]+)(?:\.(?P<frac>[0-9]*))?")
_MINOR = re.compile(r"[-+]?[0-9]+")


class SettlementFileError(ValueError):
    """The file as a whole cannot be read: it is missing, empty, not text, or lacks a needed column."""


@dataclass(frozen=True)
class SettlementLine:
    """One line the acquirer settled. `amount` is in signed minor units: a refund is negative."""

    line: int
    terminal_id: str
    stan: str  # six digits
    rrn: str  # "" when the file has none
    date: date
    amount: int
    currency: str
    masked: str
    auth_code: str
    settlement_date: date | None

    def journal_text(self) -> str:
        """The line as the journal keeps it (projection.LINE_FIELDS)."""
        return SEPARATOR.join((str(self.line), self.terminal_id, self.stan, self.rrn,
                               self.date.isoformat(), str(self.amount), self.currency, self.masked, self.auth_code,
                               self.settlement_date.isoformat() if self.settlement_date else ""))


@dataclass(frozen=True)
class Malformed:
    line: int
    reason: str


class _Counting(io.RawIOBase):
    """Counts the bytes read, for a progress bar that knows how far through the file it is."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        read = self._raw.readinto(buffer)
        self.count += read or 0
        return read

    def close(self) -> None:
        self._raw.close()
        super().close()


def sha256_of(path: Path) -> str:
    """The file's SHA-256 in hex, in groups of eight: a run of its digits as long as a card number would be
    refused by the journal's card-number guard, and a group never is."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    text = digest.hexdigest()
    return ":".join(text[start:start + 8] for start in range(0, len(text), 8))


class SettlementFile:
    """A settlement file's lines, `SettlementLine` or `Malformed`, in file order (`read`). `blank` counts
    empty lines passed over; `bytes_read` and `size` say how far it has got."""

    def __init__(self, path: Path, settings: ReconcileSettings, currency: str) -> None:
        self.path = path
        self.settings = settings
        self.currency = currency
        self.blank = 0
        try:
            self.size = path.stat().st_size
        except OSError as exc:
            raise SettlementFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        self._counter: _Counting | None = None

    @property
    def bytes_read(self) -> int:
        return self._counter.count if self._counter else 0

    def read(self) -> Iterator[SettlementLine | Malformed]:
        """Check the header now (SettlementFileError if the file cannot be read as a settlement file),
        then give the lines one at a time."""
        try:
            raw = self.path.open("rb", buffering=0)
        except OSError as exc:
            raise SettlementFileError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        self._counter = _Counting(raw)
        handle = io.BufferedReader(self._counter, 1 << 16)
        try:
            header = self._header(handle)
        except BaseException:
            handle.close()
            raise
        return self._lines(handle, header)

    def _lines(self, handle: io.BufferedReader, header: dict[str, int]) -> Iterator[SettlementLine | Malformed]:
        with handle:
            for number, data in enumerate(handle, start=2):
                yield from self._line(number, data, header)

    # -- the header --------------------------------------------------------------------------------

    def _header(self, handle: io.BufferedReader) -> dict[str, int]:
        """recoup's field → its cell index, from the first line and the column mapping."""
        data = handle.readline()
        if not data.strip():
            raise SettlementFileError(f"{self.path}: line 1 should be the header (column names), and it is empty")
        try:
            text = data.decode(self.settings.encoding)
        except UnicodeDecodeError as exc:
            raise SettlementFileError(f"{self.path}: line 1 is not {self.settings.encoding} text (byte "
                                      f"{exc.object[exc.start]:#04x}); set reconcile.encoding, e.g. gbk") from None
        cells = self._cells(text.removeprefix("\ufeff"))
        if cells is None:
            raise SettlementFileError(f"{self.path}: line 1 (the header) has a quote left open")
        names = [cell.strip() for cell in cells]
        columns = {}
        for name in FIELDS:
            header = self.settings.header(name)
            if header in names:
                columns[name] = names.index(header)
            elif name in REQUIRED:
                mapped = f" (reconcile.columns.{name})" if name in self.settings.columns else \
                    f"; if the acquirer calls it otherwise, map it: [reconcile.columns] {name} = \"…\""
                raise SettlementFileError(f"{self.path}: line 1 has no column {header!r}{mapped}; its columns "
                                          f"are {', '.join(repr(n) for n in names)}")
        columns["width"] = len(names)
        return columns

    def _cells(self, text: str) -> list[str] | None:
        text = text.rstrip("\r\n")
        if '"' not in text:
            return text.split(self.settings.delimiter)
        try:
            return next(csv.reader((text,), delimiter=self.settings.delimiter, strict=True))
        except csv.Error:
            return None

    # -- one line ----------------------------------------------------------------------------------

    def _line(self, number: int, data: bytes, columns: dict[str, int]) -> Iterator[SettlementLine | Malformed]:
        if not data.strip():
            self.blank += 1
            return
        try:
            text = data.decode(self.settings.encoding)
        except UnicodeDecodeError as exc:
            yield Malformed(number, f"not {self.settings.encoding} text (byte {exc.object[exc.start]:#04x} at "
                                    f"column {exc.start + 1})")
            return
        cells = self._cells(text)
        if cells is None:
            yield Malformed(number, "a quote is left open")
            return
        if len(cells) != columns["width"]:
            yield Malformed(number, f"has {len(cells)} cells, the header has {columns['width']}")
            return
        try:
            yield self._parse(number, {name: cells[index].strip() for name, index in columns.items()
                                       if name != "width"})
        except _Bad as bad:
            yield Malformed(number, str(bad))

    def _parse(self, number: int, cell: dict[str, str]) -> SettlementLine:
        values = cell.values()
        if _SUSPECT.search(",".join(values)) or max(map(len, values)) > _LONGEST:
            self._refuse_suspect(cell)
        terminal = cell["terminal_id"]
        if not terminal:
            raise _Bad(f"{self._column('terminal_id')} is empty")
        stan = cell["stan"]
        if not (stan.isascii() and stan.isdigit() and len(stan) <= 6 and int(stan) > 0):
            raise _Bad(f"{self._column('stan')} {_shown(stan)} is not a trace number (1 to 999999)")
        rrn = cell.get("rrn", "")
        if len(rrn) > 12 or not (rrn.isascii() and (rrn.isalnum() or not rrn)):
            raise _Bad(f"{self._column('rrn')} {_shown(rrn)} is not a reference number (up to 12 letters "
                       f"and digits)")
        currency = self._currency(cell.get("currency", ""))
        return SettlementLine(
            line=number, terminal_id=terminal, stan=f"{int(stan):06d}",
            rrn=rrn, date=self._date("date", cell["date"]), amount=self._amount(cell["amount"], currency),
            currency=currency, masked=cell.get("masked_pan", ""), auth_code=cell.get("auth_code", ""),
            settlement_date=self._date("settlement_date", cell["settlement_date"])
            if cell.get("settlement_date") else None)

    def _refuse_suspect(self, cell: dict[str, str]) -> None:
        """Say which cell holds what the journal must not: a card number, a control character or a '|'."""
        for name, value in cell.items():
            if card_numbers(value):
                raise _Bad(f"{self._column(name)} holds a full card number; recoup keeps only masked cards "
                           f"(ask the acquirer for a file with masked card numbers)")
            if not _TEXT.fullmatch(value) or len(value) > _LONGEST:
                raise _Bad(f"{self._column(name)} {_shown(value)} has a control character, a '|' or more "
                           f"than {_LONGEST} characters")

    def _column(self, name: str) -> str:
        header = self.settings.header(name)
        return name if header == name else f"{name} ({header!r})"

    def _date(self, name: str, text: str) -> date:
        try:
            return _parse_date(text, self.settings.date_format)
        except ValueError:
            raise _Bad(f"{self._column(name)} {_shown(text)} is not a date written "
                       f"{self.settings.date_format}") from None

    def _currency(self, text: str) -> str:
        code = _ALPHA.get(text, text.upper()) if text else self.currency
        if code not in EXPONENTS:
            raise _Bad(f"{self._column('currency')} {_shown(text)} is not a currency recoup knows")
        return code

    def _amount(self, text: str, currency: str) -> int:
        """Signed minor units; in major units, no more decimals than the currency has."""
        cleaned = text.replace(" ", "")
        if self.settings.amount_unit == "minor":
            if not _MINOR.fullmatch(cleaned):
                raise _Bad(f"{self._column('amount')} {_shown(text)} is not a whole number of minor units")
            minor = int(cleaned)
        else:
            match = _MAJOR.fullmatch(cleaned)
            exponent = EXPONENTS[currency]
            if not match or len(match["frac"] or "") > exponent:
                raise _Bad(f"{self._column('amount')} {_shown(text)} is not an amount such as 58.00 or -12.50 "
                           f"({currency} has {exponent} decimals)")
            minor = int(match["units"]) * 10**exponent + int((match["frac"] or "").ljust(exponent, "0") or 0)
            minor = -minor if match["sign"] == "-" else minor
        if minor == 0:
            raise _Bad(f"{self._column('amount')} is zero: no money moved")
        return minor


class _Bad(ValueError):
    pass


@functools.lru_cache(maxsize=4096)
def _parse_date(text: str, form: str) -> date:
    """A date as the file writes it; a million lines fall on a few hundred days."""
    return datetime.strptime(text, form).date()


def _shown(value: str) -> str:
    """A value as a reason may repeat it: quoted, card-length digit runs masked, cut short."""
    masked = mask_digit_runs(value)
    return repr(masked if len(masked) <= _SHOWN else masked[:_SHOWN] + "…")
