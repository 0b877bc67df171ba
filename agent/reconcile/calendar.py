"""When a sale's money is due in the settlement: T+N business days after the sale, on the store's calendar.

Banks do not settle on weekends or public holidays, so a Friday sale at T+1 is due on Monday, and one
the day before a holiday is due after it. The sale's own date is the counter's local date, the one on
its receipt.
"""

from __future__ import annotations

from datetime import date, timedelta

from agent.reconcile.settings import ReconcileSettings


def is_business_day(day: date, settings: ReconcileSettings) -> bool:
    return day.weekday() < 5 and day not in settings.holidays


def expected_settlement(sold_on: date, settings: ReconcileSettings) -> date:
    """The settlement date a sale of `sold_on` is due by: the N-th business day after it (a Friday sale at
    T+1 is due on Monday). At T+0, the sale's own day, or the next business day when the bank is closed."""
    day = sold_on
    if settings.settle_after_days == 0:
        while not is_business_day(day, settings):
            day += timedelta(days=1)
    for _ in range(settings.settle_after_days):
        day += timedelta(days=1)
        while not is_business_day(day, settings):
            day += timedelta(days=1)
    return day


def due_through(as_of: date, settings: ReconcileSettings) -> date:
    """The last sale date whose settlement is due by `as_of`: every sale up to it should be in a file by
    then. Expected dates never go backwards as sale dates go forwards, so the search only walks back."""
    day = as_of
    while expected_settlement(day, settings) > as_of:
        day -= timedelta(days=1)
    return day
