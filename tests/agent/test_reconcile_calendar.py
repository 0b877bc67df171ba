"""When a sale's money is due: T+N business days, weekends and the holiday list skipped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.reconcile.calendar import due_through, expected_settlement, is_business_day
from agent.reconcile.settings import ReconcileSettings

MON = date(2026, 1, 5)
T1 = ReconcileSettings()


@pytest.mark.parametrize(("sold", "due"), [
    (MON, MON + timedelta(1)),  # Monday → Tuesday
    (MON + timedelta(4), MON + timedelta(7)),  # Friday → Monday
    (MON + timedelta(5), MON + timedelta(7)),  # Saturday → Monday
    (MON + timedelta(6), MON + timedelta(7)),  # Sunday → Monday
])
def test_t_plus_1_skips_the_weekend(sold, due):
    assert expected_settlement(sold, T1) == due


def test_holidays_are_skipped_like_weekends():
    golden_week = ReconcileSettings(holidays=[date(2026, 10, day) for day in range(1, 8)])
    assert expected_settlement(date(2026, 9, 30), golden_week) == date(2026, 10, 8)
    assert not is_business_day(date(2026, 10, 1), golden_week) and is_business_day(date(2026, 10, 8), golden_week)


def test_t_plus_0_and_t_plus_2():
    assert expected_settlement(MON, ReconcileSettings(settle_after_days=0)) == MON
    assert expected_settlement(MON + timedelta(5), ReconcileSettings(settle_after_days=0)) == MON + timedelta(7)
    assert expected_settlement(MON + timedelta(3), ReconcileSettings(settle_after_days=2)) == MON + timedelta(7)


def test_due_through_is_the_last_sale_day_due_by_then():
    assert due_through(MON + timedelta(1), T1) == MON  # Tuesday's file: Monday's sales
    assert due_through(MON + timedelta(7), T1) == MON + timedelta(6)  # Monday's file: Friday to Sunday
    assert due_through(MON + timedelta(5), T1) == MON + timedelta(3)  # a Saturday: up to Thursday


@given(sold=st.dates(date(2025, 1, 1), date(2027, 12, 31)), days=st.integers(0, 5),
       holidays=st.sets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=20))
def test_a_sale_is_due_exactly_from_its_expected_date_on(sold, days, holidays):
    settings = ReconcileSettings(settle_after_days=days, holidays=sorted(holidays))
    due = expected_settlement(sold, settings)
    assert due >= sold and is_business_day(due, settings)
    assert due_through(due, settings) >= sold
    assert due_through(due - timedelta(1), settings) < sold
