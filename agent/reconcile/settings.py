"""How the acquirer's settlement file is read, and when a sale is due in it.

Acquirers differ: column names (often Chinese: 参考号, 凭证号, 终端号), encodings (GBK is common), date
formats (20260105) and amounts in yuan or in fen. Each of those is a setting, checked once when the
config loads, so a typo is reported with its key instead of as a file where every line is malformed.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from agent.cases.errors import CaseSettingsError
from agent.cases.settings import parse_holidays

# What recoup reads from each line, by the name it documents (docs/reconcile.md).
FIELDS = ("date", "terminal_id", "stan", "rrn", "masked_pan", "amount", "currency", "auth_code", "settlement_date")
REQUIRED = ("date", "terminal_id", "stan", "amount")
AMOUNT_UNITS = ("major", "minor")
_PROBE = date(2026, 1, 5)
_ASCII = "\n\r,;|\t\"-.0123456789"  # a file is split into lines and cells as bytes: these must be themselves


class ReconcileSettingsError(ValueError):
    """One setting is unusable: `field` is its key under [reconcile] (columns.X for a column)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ReconcileSettings:
    settle_after_days: int = 1  # T+1: a sale is due in the settlement this many business days later
    holidays: tuple[date, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)  # recoup's field → the file's header
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    amount_unit: str = "major"  # "major": 58.00 yuan; "minor": 5800 fen

    def __post_init__(self) -> None:
        days = self.settle_after_days
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 30:
            raise ReconcileSettingsError("settle_after_days", f"must be a whole number of business days from 0 "
                                                              f"to 30 (1 for T+1), not {days!r}")
        try:
            holidays = parse_holidays(self.holidays)
        except CaseSettingsError as exc:
            raise ReconcileSettingsError(exc.field, exc.reason) from None
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "columns", MappingProxyType(_columns(self.columns)))
        try:
            ascii_compatible = codecs.lookup(self.encoding).encode(_ASCII)[0] == _ASCII.encode()
        except (LookupError, TypeError, ValueError):  # ValueError: a NUL in the name
            ascii_compatible = False
        if not ascii_compatible:
            raise ReconcileSettingsError("encoding", f"{self.encoding!r} is not an encoding recoup reads; write "
                                                     f"utf-8, gbk or gb18030") from None
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1 or self.delimiter in "\r\n\"":
            raise ReconcileSettingsError("delimiter", f"must be one character such as \",\" or \"\\t\", "
                                                      f"not {self.delimiter!r}")
        _date_format(self.date_format)
        if self.amount_unit not in AMOUNT_UNITS:
            raise ReconcileSettingsError("amount_unit", f"must be major (58.00) or minor (5800), "
                                                        f"not {self.amount_unit!r}")

    def header(self, name: str) -> str:
        """The file's header for one of recoup's fields."""
        return self.columns.get(name, name)


def _columns(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, Mapping):
        raise ReconcileSettingsError("columns", f"must be a table such as {{ rrn = \"参考号\" }}, "
                                                f"not {type(mapping).__name__}")
    checked = {}
    for name, header in mapping.items():
        if name not in FIELDS:
            raise ReconcileSettingsError(f"columns.{name}", f"is not a field recoup reads; use one of "
                                                            f"{', '.join(FIELDS)}")
        if not isinstance(header, str) or not header.strip():
            raise ReconcileSettingsError(f"columns.{name}", f"must name the column's header, not {header!r}")
        checked[name] = header.strip()
    taken: dict[str, str] = {}
    for name in FIELDS:
        header = checked.get(name, name)
        if header in taken:
            raise ReconcileSettingsError(f"columns.{name}", f"header {header!r} is already read as "
                                                            f"{taken[header]}")
        taken[header] = name
    return checked


def _date_format(text: Any) -> None:
    """A strftime format that writes a whole date and reads it back."""
    try:
        sample = _PROBE.strftime(text)
        back = datetime.strptime(sample, text).date()
    except (TypeError, ValueError):
        back = None
    if back != _PROBE:
        raise ReconcileSettingsError("date_format", f"{text!r} does not read a whole date; write it as "
                                                    f"Python does, such as %Y-%m-%d or %Y%m%d")
