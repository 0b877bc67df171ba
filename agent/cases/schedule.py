"""When the next follow-up of a case falls due, as pure functions of the facts and the settings.

Nothing is stored: the store derives each case's next follow-up from when it opened or was last
attempted, so a holiday added to the config moves every follow-up at once, and the journal holds only
what happened. Calendar rules (quiet hours, weekends, holidays) are about the store's wall clock, so the
arithmetic is done in local time and the result handed back in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from agent.cases.settings import CaseSettings

MIDNIGHT = time(0)


def to_local(moment: datetime, settings: CaseSettings) -> datetime:
    """The same instant on the store's wall clock."""
    _require_aware(moment)
    return moment.astimezone(settings.zone) if settings.zone is not None else moment.astimezone()


def is_business_day(day: date, settings: CaseSettings) -> bool:
    return day.weekday() < 5 and day not in settings.holidays


def is_quiet(moment: datetime, settings: CaseSettings) -> bool:
    return _quiet(to_local(moment, settings).time(), settings)


def next_allowed(moment: datetime, settings: CaseSettings) -> datetime:
    """`moment` itself if a follow-up may fall then, else the first allowed moment after it: the end of
    quiet hours that day, or the start of the next business day."""
    while True:
        here = to_local(moment, settings)
        day, clock = here.date(), here.time()
        if is_business_day(day, settings):
            if not _quiet(clock, settings):
                return moment.astimezone(UTC)
            end = settings.quiet_window[1]
            if clock < end:  # quiet hours that end later today
                moment = _wall_after(day, end, moment, settings)
                continue
        # Looped rather than returned: a wall time that a DST change skips may land in quiet hours again.
        moment = _wall_after(_next_business_day(day, settings), _opening(settings), moment, settings)


def first_followup(opened_at: datetime, settings: CaseSettings) -> datetime:
    """A new case is followed up soon, while the customer still remembers the counter."""
    _require_aware(opened_at)
    return next_allowed(opened_at + timedelta(hours=settings.first_followup_hours), settings)


def next_followup(attempt_at: datetime, settings: CaseSettings) -> datetime:
    """N business days after an attempt, at the same local time — customers answer at the hour they
    answered before — moved out of quiet hours if that time is inside them."""
    here = to_local(attempt_at, settings)
    day = here.date()
    for _ in range(settings.followup_business_days):
        day = _next_business_day(day, settings)
    return next_allowed(_wall_after(day, here.time(), attempt_at, settings), settings)


def _quiet(clock: time, settings: CaseSettings) -> bool:
    start, end = settings.quiet_window
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def _opening(settings: CaseSettings) -> time:
    """The first allowed time of a business day."""
    return settings.quiet_window[1] if _quiet(MIDNIGHT, settings) else MIDNIGHT


def _next_business_day(day: date, settings: CaseSettings) -> date:
    day += timedelta(days=1)
    while not is_business_day(day, settings):
        day += timedelta(days=1)
    return day


def _wall_after(day: date, clock: time, after: datetime, settings: CaseSettings) -> datetime:
    """The earliest instant later than `after` that reads `clock` on `day` on the store's wall clock.

    A time repeated when clocks go back has two instants (fold 0 and 1); one skipped when they go
    forward has none, and either fold lands just beside the gap.
    """
    instants = sorted({_wall(day, clock, fold, settings) for fold in (0, 1)})
    return next(instant for instant in instants if instant > after)


def _wall(day: date, clock: time, fold: int, settings: CaseSettings) -> datetime:
    naive = datetime.combine(day, clock).replace(fold=fold)
    aware = naive.replace(tzinfo=settings.zone) if settings.zone is not None else naive.astimezone()
    return aware.astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"follow-up times need a timezone-aware datetime, not the naive {moment.isoformat()}")
