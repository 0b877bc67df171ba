"""Follow-up scheduling: business days, quiet hours, holidays and the store's time zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.cases import CaseSettings, CaseSettingsError
from agent.cases.schedule import first_followup, is_business_day, is_quiet, next_allowed, next_followup, to_local

SHANGHAI = ZoneInfo("Asia/Shanghai")
STORE = CaseSettings(timezone="Asia/Shanghai", holidays=(date(2026, 1, 1), "2026-01-12"))


def at(*args: int) -> datetime:
    """A Shanghai wall-clock time (2026-01-05 is a Monday)."""
    return datetime(*args, tzinfo=SHANGHAI)


def local(moment: datetime) -> datetime:
    return to_local(moment, STORE).replace(tzinfo=None)


@pytest.mark.parametrize(("attempt", "expected"), [
    (at(2026, 1, 5, 10, 30), datetime(2026, 1, 6, 10, 30)),  # Monday → Tuesday, same time
    (at(2026, 1, 9, 15, 0), datetime(2026, 1, 13, 15, 0)),  # Friday → Tuesday: weekend and Monday's holiday
    (at(2026, 1, 5, 22, 0), datetime(2026, 1, 7, 9, 0)),  # Tuesday 22:00 is quiet → Wednesday 09:00
    (at(2026, 1, 6, 7, 45), datetime(2026, 1, 7, 9, 0)),  # Wednesday 07:45 is quiet → 09:00 that day
    (at(2026, 1, 10, 11, 0), datetime(2026, 1, 13, 11, 0)),  # Saturday → the first business day after
    (at(2025, 12, 31, 12, 0), datetime(2026, 1, 2, 12, 0)),  # New Year's Day is a holiday
])
def test_the_next_follow_up_is_a_business_day_later_at_the_same_time(attempt, expected):
    assert local(next_followup(attempt, STORE)) == expected


def test_more_business_days_are_counted_as_business_days():
    settings = CaseSettings(timezone="Asia/Shanghai", followup_business_days=3)
    assert local(next_followup(at(2026, 1, 8, 10, 0), settings)) == datetime(2026, 1, 13, 10, 0)  # Thu → Tue


@pytest.mark.parametrize(("opened", "expected"), [
    (at(2026, 1, 5, 10, 0), datetime(2026, 1, 5, 12, 0)),
    (at(2026, 1, 5, 20, 0), datetime(2026, 1, 6, 9, 0)),  # 22:00 would be quiet
    (at(2026, 1, 9, 19, 30), datetime(2026, 1, 13, 9, 0)),  # Friday evening → after the weekend and holiday
    (at(2026, 1, 5, 3, 0), datetime(2026, 1, 5, 9, 0)),  # opened at night: 05:00 is still quiet
])
def test_a_new_case_is_followed_up_shortly_after_opening(opened, expected):
    assert local(first_followup(opened, STORE)) == expected


def test_results_are_utc():
    due = first_followup(at(2026, 1, 5, 10, 0), STORE)
    assert due.tzinfo is UTC and due == datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


def test_quiet_hours_that_do_not_wrap_midnight():
    lunch = CaseSettings(timezone="Asia/Shanghai", quiet_start="12:00", quiet_end="14:00")
    assert local(next_allowed(at(2026, 1, 5, 12, 30), lunch)) == datetime(2026, 1, 5, 14, 0)
    assert local(next_allowed(at(2026, 1, 5, 23, 30), lunch)) == datetime(2026, 1, 5, 23, 30)
    assert local(next_allowed(at(2026, 1, 10, 13, 0), lunch)) == datetime(2026, 1, 12, 0, 0)  # Saturday


def test_a_time_repeated_when_clocks_go_back_is_left_at_its_second_occurrence():
    # Cairo, Thursday 2026-10-29: 23:00–24:00 happens twice. The second 23:20 is quiet until 23:40 — the
    # 23:40 that comes after it, not the first one an hour earlier.
    cairo = ZoneInfo("Africa/Cairo")
    settings = CaseSettings(timezone="Africa/Cairo", quiet_start="23:10", quiet_end="23:40")
    second = datetime(2026, 10, 29, 23, 20, fold=1, tzinfo=cairo)
    assert next_allowed(second, settings) == datetime(2026, 10, 29, 21, 40, tzinfo=UTC)  # 23:40 at +02:00
    first = datetime(2026, 10, 29, 23, 20, tzinfo=cairo)
    assert next_allowed(first, settings) == datetime(2026, 10, 29, 20, 40, tzinfo=UTC)  # 23:40 at +03:00


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_followup(datetime(2026, 1, 5, 10, 0), STORE)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"quiet_start": "25:00"}, "quiet_start"),
    ({"quiet_end": "9am"}, "quiet_end"),
    ({"quiet_start": "09:00", "quiet_end": "09:00"}, "quiet_end"),
    ({"followup_business_days": 0}, "followup_business_days"),
    ({"followup_business_days": 1.5}, "followup_business_days"),
    ({"followup_business_days": True}, "followup_business_days"),
    ({"first_followup_hours": 0}, "first_followup_hours"),
    ({"first_followup_hours": float("nan")}, "first_followup_hours"),
    ({"holidays": "2026-10-01"}, "holidays"),
    ({"holidays": ("2026-10-01", "October 2")}, "holidays[1]"),
    ({"holidays": (datetime(2026, 10, 1, 0, 0),)}, "holidays[0]"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": ""}, "timezone"),
])
def test_unusable_settings_are_refused_naming_the_setting(kwargs, field):
    with pytest.raises(CaseSettingsError) as caught:
        CaseSettings(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_holidays_are_normalised_to_sorted_dates():
    settings = CaseSettings(holidays=["2026-10-02", date(2026, 10, 1), "2026-10-02"])
    assert settings.holidays == (date(2026, 10, 1), date(2026, 10, 2))
    assert settings.quiet_window == (time(21, 0), time(9, 0))


# -- properties ----------------------------------------------------------------------------------------

ZONES = ("Asia/Shanghai", "UTC", "Europe/London", "America/New_York", "Africa/Cairo")
clock_times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))


@st.composite
def case_settings(draw) -> CaseSettings:
    start, end = draw(st.tuples(clock_times, clock_times).filter(lambda pair: pair[0] != pair[1]))
    first_day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 1)))
    holidays = draw(st.lists(st.integers(0, 40).map(lambda n: first_day + timedelta(days=n)), max_size=15))
    return CaseSettings(quiet_start=start, quiet_end=end, holidays=tuple(holidays),
                        timezone=draw(st.sampled_from(ZONES)), followup_business_days=draw(st.integers(1, 5)),
                        first_followup_hours=draw(st.floats(0.01, 72, allow_nan=False)))


def allowed(moment: datetime, settings: CaseSettings) -> bool:
    return not is_quiet(moment, settings) and is_business_day(to_local(moment, settings).date(), settings)


@given(case_settings(), instants, st.lists(st.timedeltas(timedelta(0), timedelta(days=9)), max_size=4))
def test_no_follow_up_falls_in_quiet_hours_on_a_weekend_or_holiday_or_before_its_cause(settings, opened, gaps):
    due = first_followup(opened, settings)
    assert due > opened and allowed(due, settings)
    attempt = opened
    for gap in gaps:
        attempt += gap
        due = next_followup(attempt, settings)
        assert due > attempt, (attempt, due)
        assert allowed(due, settings), to_local(due, settings)


@given(case_settings(), instants)
def test_an_allowed_moment_is_kept_and_any_other_is_moved_forward(settings, moment):
    moved = next_allowed(moment, settings)
    assert allowed(moved, settings)
    assert moved == moment if allowed(moment, settings) else moved > moment
