"""When follow-ups may fall due: quiet hours, business days, holidays and the store's time zone.

Checked once, on construction, so a typo in the config is reported with its key when the agent starts
instead of as a follow-up scheduled at three in the morning.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from agent.cases.errors import CaseSettingsError

_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class CaseSettings:
    quiet_start: str = "21:00"
    quiet_end: str = "09:00"
    followup_business_days: int = 1
    first_followup_hours: float = 2.0
    holidays: tuple[date, ...] = ()
    timezone: str | None = None  # an IANA name such as Asia/Shanghai; None is the PC's own zone
    # Derived from the above: (start, end) of quiet hours, wrapping midnight when start > end, and the
    # zone (None: the PC's own, whose rules Python applies to naive times).
    quiet_window: tuple[time, time] = field(init=False, repr=False, compare=False)
    zone: tzinfo | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start, end = _clock("quiet_start", self.quiet_start), _clock("quiet_end", self.quiet_end)
        if start == end:
            raise CaseSettingsError("quiet_end", f"equals quiet_start ({self.quiet_start}); quiet hours need a "
                                                 "start and an end that differ, e.g. 21:00 to 09:00")
        days = self.followup_business_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
            raise CaseSettingsError("followup_business_days", f"must be a whole number of days from 1 to 30, "
                                                              f"not {days!r}")
        hours = self.first_followup_hours
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours) \
                or not 0 < hours <= 24 * 30:
            raise CaseSettingsError("first_followup_hours", f"must be a number of hours above 0 and at most "
                                                            f"720, not {hours!r}")
        object.__setattr__(self, "holidays", parse_holidays(self.holidays))
        object.__setattr__(self, "quiet_window", (start, end))
        object.__setattr__(self, "zone", _zone(self.timezone))


def _clock(field: str, value: Any) -> time:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise CaseSettingsError(field, f"{value!r} is not a time of day; write HH:MM on the 24-hour clock, "
                                       f"such as 21:00")
    return time(int(match.group(1)), int(match.group(2)))


def parse_holidays(values: Any) -> tuple[date, ...]:
    """A holiday list as TOML gives it (dates, or YYYY-MM-DD text), sorted; CaseSettingsError("holidays")."""
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise CaseSettingsError("holidays", f"must be a list of dates such as [2026-02-17, 2026-10-01], "
                                            f"not {type(values).__name__}")
    days = set()
    for index, value in enumerate(values):
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise CaseSettingsError(f"holidays[{index}]", f"{value!r} is not a date; write YYYY-MM-DD, "
                                                          f"such as 2026-10-01") from None
    return tuple(sorted(days))


def _zone(name: Any) -> tzinfo | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise CaseSettingsError("timezone", f"must be a zone name such as Asia/Shanghai, not {name!r}")
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CaseSettingsError("timezone", f"{name!r} is not a known time zone; write an IANA name such as "
                                            f"Asia/Shanghai (on Windows, install the tzdata package)") from None
