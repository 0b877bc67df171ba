"""Hypothesis strategies and helpers shared by the card reader tests."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from domain.events import EntryMode
from drivers.cardreader.payload import (
    MAX_TEXT,
    NAME_MAX,
    BadRead,
    Beep,
    CardEvent,
    Disable,
    Display,
    Enable,
    ReaderState,
    StatusReport,
)

TODAY = date(2026, 1, 5)


def with_check_digit(body: str) -> str:
    """`body` plus the digit that makes it pass Luhn."""
    for digit in "0123456789":
        total = 0
        for index, char in enumerate(reversed(body + digit)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return body + digit
    raise AssertionError("unreachable: one digit always completes a Luhn number")


pans = st.text(alphabet="0123456789", min_size=11, max_size=18).map(with_check_digit)
future_expiries = st.builds(lambda y, m: f"{y:02d}{m:02d}", st.integers(27, 99), st.integers(1, 12))
service_codes = st.sampled_from(["101", "120", "201", "220", "501", "601", "702", "901"])
names = st.text(alphabet=[chr(c) for c in range(0x41, 0x5B)] + [" ", "/", "."], max_size=NAME_MAX).map(
    str.strip)
discretionary = st.text(alphabet="0123456789", max_size=5)
# UTF-8 text without control characters that fits MAX_TEXT bytes: Chinese and English alike.
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20).filter(
    lambda t: len(t.encode()) <= MAX_TEXT)


@st.composite
def card_events(draw) -> CardEvent:
    pan, expiry, service = draw(pans), draw(future_expiries), draw(service_codes)
    return CardEvent(draw(st.sampled_from(EntryMode)), f"{pan}={expiry}{service}{draw(discretionary)}",
                     expiry, service, draw(names))


reports = st.one_of(
    card_events(),
    st.builds(StatusReport, st.sampled_from(ReaderState), texts),
    st.builds(BadRead, st.sampled_from(EntryMode), texts),
)
commands = st.one_of(
    st.just(Enable()),
    st.just(Disable()),
    st.builds(Display, texts, texts),
    st.builds(Beep, st.integers(1, 9), st.integers(10, 5000)),
)


def splits(data: bytes):
    """Strategy: `data` cut into consecutive chunks at random places."""
    return st.lists(st.integers(0, len(data)), max_size=12).map(
        lambda cuts: [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)], strict=True)])
