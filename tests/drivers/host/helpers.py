"""Strategies and a scripted host side shared by the acquirer link tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from domain.card import Card, Expiry
from domain.events import EntryMode
from domain.ids import STAN_MAX, Stan
from domain.money import Money
from drivers.host.codec import Deframer, Fields, decode, encode, frame
from drivers.host.link import HostLink, response_mti
from drivers.host.messages import Terminal
from tests.drivers.cardreader.strategies import future_expiries, pans, service_codes, splits

__all__ = ["splits"]

TERMINAL = Terminal("TERM0001", "MERCHANT0000001")
SHANGHAI = timezone(timedelta(hours=8), "CST")
AT = datetime(2026, 1, 5, 23, 30, 15, tzinfo=SHANGHAI)  # 15:30:15 UTC, the same day
PAN = "6222021234567890128"
CARD = Card(PAN, Expiry.parse("2912"), "201")

cards = st.builds(Card, pans, future_expiries.map(Expiry.parse), service_codes)
amounts = st.integers(1, 10**12 - 1).map(Money)
stans = st.integers(1, STAN_MAX).map(Stan)
entry_modes = st.sampled_from(EntryMode)
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31),
                     timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5))]))


def answer(request: Fields, **changes: str | None) -> Fields:
    """The host's reply to `request`: approved unless `changes` say otherwise; None removes a field."""
    response = {"t": response_mti(request["t"]), "11": request["11"], "41": request["41"], "39": "00"}
    if request["t"] == "0200":
        response.update({"37": "600105000001", "38": "A1B2C3"})
    response.update(changes)
    return {key: value for key, value in response.items() if value is not None}


def wire(fields: Fields) -> bytes:
    return frame(encode(fields))


def sent(link: HostLink) -> list[Fields]:
    """Decode everything the link wants to send."""
    deframer = Deframer()
    deframer.receive_data(link.data_to_send())
    messages = []
    while (message := deframer.next_message()) is not None:
        messages.append(decode(message))
    return messages


def drain(link: HostLink) -> list:
    events = []
    while (event := link.next_event()) is not None:
        events.append(event)
    return events


def connected(*, last_stan: int = 0, now: float = 0.0, **options) -> HostLink:
    """A link whose opening echo has been answered at `now`, with nothing queued and no events."""
    link = HostLink(TERMINAL, last_stan=last_stan, **options)
    link.connection_made(now)
    (echo,) = sent(link)
    link.receive_data(wire(answer(echo)), now)
    drain(link)
    return link
