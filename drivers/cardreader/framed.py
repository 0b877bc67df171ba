"""The agent's end of a framed (chip / tap / swipe) reader: link layer, payload codec and read checks.

Whatever the reader sends becomes a domain event and never an exception: a report that does not decode
is a `ReadError(FORMAT)` when it claimed to be a card (the cashier must hear that the read failed) and
`LineNoise` otherwise, and the link keeps going. A command the reader never acknowledges comes back as
`CommandFailed`, so the agent knows the reader did not, say, switch itself on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.card import mask_digit_runs
from domain.events import CardRead, DeviceState, LineNoise, ReadCheck, ReadError, ReaderStatus
from drivers.cardreader.checks import check_read
from drivers.cardreader.framing import (
    INTERBYTE_TIMEOUT,
    MAX_RETRANSMITS,
    RESPONSE_TIMEOUT,
    DeliveryFailed,
    Link,
)
from drivers.cardreader.payload import (
    CARD,
    BadRead,
    CardEvent,
    Command,
    ReaderState,
    StatusReport,
    decode_command,
    decode_report,
    encode,
)
from drivers.cardreader.tracks import TrackData, TrackFormatError, parse_track2
from drivers.errors import LocalProtocolError, RemoteProtocolError


@dataclass(frozen=True)
class CommandFailed:
    """The reader acknowledged neither a command nor any of its retransmissions."""

    command: Command
    attempts: int


def status_event(report: StatusReport) -> ReaderStatus:
    """A busy reader is still online; a reader in error cannot take a card, so for a sale it is offline.
    The reader's words are its own: a card number in them is masked before they reach a screen or a log."""
    state = DeviceState.OFFLINE if report.state is ReaderState.ERROR else DeviceState.ONLINE
    detail = f"{report.state.value}: {mask_digit_runs(report.text)}" if report.text else report.state.value
    return ReaderStatus(state, detail)


def card_read(event: CardEvent, today: date) -> CardRead | ReadError:
    """The track-2 equivalent is authoritative; the separately stated expiry and service code must agree."""
    try:
        track = parse_track2(event.track2, "track-2 equivalent")
    except TrackFormatError as exc:
        return ReadError(ReadCheck.FORMAT, str(exc), exc.masked)
    fields = TrackData("card event fields", track.pan, event.expiry, event.service_code, event.name)
    return check_read((track, fields), event.entry_mode, today)


class FramedReader:
    """Agent-role core for a framed reader. See `drivers.cardreader.ReaderCore`; adds `send_command`."""

    def __init__(self, *, response_timeout: float = RESPONSE_TIMEOUT,
                 interbyte_timeout: float = INTERBYTE_TIMEOUT,
                 max_retransmits: int = MAX_RETRANSMITS) -> None:
        self._link = Link(response_timeout=response_timeout, interbyte_timeout=interbyte_timeout,
                          max_retransmits=max_retransmits)

    def send_command(self, command: Command, now: float) -> None:
        if not isinstance(command, Command):
            raise LocalProtocolError(f"send_command takes a reader command, not {type(command).__name__}")
        self._link.send(encode(command), now)

    def receive_data(self, data: bytes, now: float) -> None:
        self._link.receive_data(data, now)

    def next_event(
        self, today: date
    ) -> CardRead | ReadError | LineNoise | ReaderStatus | CommandFailed | None:
        event = self._link.next_event()
        if event is None or isinstance(event, LineNoise):
            return event
        if isinstance(event, DeliveryFailed):
            return CommandFailed(decode_command(event.message), event.attempts)
        try:
            report = decode_report(event.message)
        except RemoteProtocolError as exc:
            if event.message[0] == CARD:
                return ReadError(ReadCheck.FORMAT, f"undecodable card event: {exc}")
            return LineNoise(f"undecodable report from the reader: {exc}", len(event.message))
        if isinstance(report, CardEvent):
            return card_read(report, today)
        if isinstance(report, BadRead):
            detail = f"the reader could not read the card ({report.entry_mode.value})"
            words = mask_digit_runs(report.detail)
            return ReadError(ReadCheck.BAD_READ, f"{detail}: {words}" if words else detail)
        return status_event(report)

    def data_to_send(self) -> bytes:
        return self._link.data_to_send()

    def get_timer(self) -> float | None:
        return self._link.get_timer()

    def handle_timer(self, now: float) -> None:
        self._link.handle_timer(now)
